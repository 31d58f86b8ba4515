#include "historywindowmodel.h"

#include "protocol/messages/approvalproof.h"
#include "ui/safetext.h"
#include "ui/uistyle.h"

#include <algorithm>

#include <QColor>
#include <QDateTime>
#include <QLocale>

namespace countersign {

namespace {

QString shown(const QString &remote)
{
    return displaySafeText(remote).text;
}

QDateTime localTime(qint64 seconds)
{
    return QDateTime::fromSecsSinceEpoch(seconds, Qt::UTC).toLocalTime();
}

} // namespace

HistoryWindowModel::HistoryWindowModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void HistoryWindowModel::setEntries(const QList<HistoryEntry> &entries)
{
    beginResetModel();
    m_entries = entries;
    std::reverse(m_entries.begin(), m_entries.end());
    endResetModel();
}

void HistoryWindowModel::prepend(const HistoryEntry &entry, int limit)
{
    beginInsertRows(QModelIndex(), 0, 0);
    m_entries.prepend(entry);
    endInsertRows();
    if (m_entries.size() > limit) {
        beginRemoveRows(QModelIndex(), limit, static_cast<int>(m_entries.size()) - 1);
        m_entries.resize(limit);
        endRemoveRows();
    }
}

int HistoryWindowModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_entries.size());
}

int HistoryWindowModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString HistoryWindowModel::outcomeText(const HistoryEntry &entry)
{
    switch (entry.outcome) {
    case ApprovalOutcome::Approved:
        // The Companion keeps the method only for an answer from here.
        if (!entry.method)
            return tr("Approved on another device");
        return *entry.method == ApprovalMethod::Passkey ? tr("Approved with security key")
                                                        : tr("Approved with authenticator code");
    case ApprovalOutcome::Denied:
        if (entry.detail == ApprovalProof::bindingCodeMismatchReason)
            return tr("Denied: the code you picked did not match");
        if (!entry.detail.trimmed().isEmpty())
            return tr("Denied: %1").arg(shown(entry.detail.simplified()));
        return tr("Denied");
    case ApprovalOutcome::Expired:
        return tr("Expired");
    case ApprovalOutcome::Cancelled:
        return tr("Cancelled by the gateway");
    case ApprovalOutcome::Unknown:
        break;
    }
    return tr("Decided on another device or withdrawn");
}

QString HistoryWindowModel::shortId(const QString &id)
{
    if (id.size() <= maxWholeIdLength)
        return id;
    return id.left(8) + QChar(0x2026) + id.right(4);
}

QString HistoryWindowModel::displayText(const HistoryEntry &entry, int column) const
{
    switch (column) {
    case WhenColumn:
        return QLocale().toString(localTime(entry.time), QLocale::ShortFormat);
    case DecisionColumn:
        return outcomeText(entry);
    case AgentColumn:
        return shown(entry.agent);
    case ActionColumn:
        return shown(entry.action);
    case ResourceColumn:
        return shown(entry.resource);
    case UserColumn:
        return shown(entry.user);
    case GatewayColumn:
        return shown(entry.gatewayName.isEmpty() ? entry.gatewayId : entry.gatewayName);
    case MethodColumn:
        if (!entry.method)
            return QString();
        return *entry.method == ApprovalMethod::Totp ? tr("Authenticator code") : tr("Passkey");
    case RequestColumn:
        return shortId(shown(entry.requestId));
    default:
        return QString();
    }
}

QVariant HistoryWindowModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_entries.size())
        return {};
    const HistoryEntry &entry = m_entries.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return displayText(entry, index.column());
    case Qt::UserRole:
        if (index.column() == WhenColumn)
            return entry.time;
        if (index.column() == RequestColumn)
            return shown(entry.requestId);
        return displayText(entry, index.column());
    case FilterRole:
        if (index.column() == RequestColumn)
            return shown(entry.requestId);
        if (index.column() == GatewayColumn)
            return QString(displayText(entry, index.column()) + u' ' + shown(entry.gatewayId));
        return displayText(entry, index.column());
    case Qt::ToolTipRole:
        if (index.column() == WhenColumn)
            return QLocale().toString(localTime(entry.time), QLocale::LongFormat);
        if (index.column() == DecisionColumn && entry.outcome == ApprovalOutcome::Unknown) {
            return tr("Countersign did not learn how it ended: it was decided on another device "
                      "while this one was offline, or this computer could no longer answer it.");
        }
        if (index.column() == GatewayColumn)
            return shown(entry.gatewayId);
        if (index.column() == RequestColumn)
            return tr("Request %1").arg(shown(entry.requestId));
        return displayText(entry, index.column());
    case Qt::ForegroundRole:
        if (index.column() != DecisionColumn)
            return {};
        switch (entry.outcome) {
        case ApprovalOutcome::Approved:
            return successColour();
        case ApprovalOutcome::Denied:
            return problemColour();
        default:
            return {};
        }
    default:
        return {};
    }
}

QVariant HistoryWindowModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case WhenColumn:
        return tr("When");
    case DecisionColumn:
        return tr("Decision");
    case AgentColumn:
        return tr("Agent");
    case ActionColumn:
        return tr("Action");
    case ResourceColumn:
        return tr("Resource");
    case UserColumn:
        return tr("For");
    case GatewayColumn:
        return tr("Gateway");
    case MethodColumn:
        return tr("Method");
    case RequestColumn:
        return tr("Request");
    default:
        return {};
    }
}

} // namespace countersign
