#include "historywindowmodel.h"

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

QString HistoryWindowModel::outcomeText(ApprovalOutcome outcome)
{
    switch (outcome) {
    case ApprovalOutcome::Approved:
        return tr("Approved");
    case ApprovalOutcome::Denied:
        return tr("Denied");
    case ApprovalOutcome::Expired:
        return tr("Expired");
    case ApprovalOutcome::Cancelled:
        return tr("Cancelled");
    case ApprovalOutcome::Unknown:
        break;
    }
    return tr("Closed elsewhere");
}

QString HistoryWindowModel::displayText(const HistoryEntry &entry, int column) const
{
    switch (column) {
    case WhenColumn:
        return QLocale().toString(localTime(entry.time), QLocale::ShortFormat);
    case DecisionColumn:
        return outcomeText(entry.outcome);
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
        return shown(entry.requestId);
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
        return displayText(entry, index.column());
    case Qt::ToolTipRole:
        if (index.column() == WhenColumn)
            return QLocale().toString(localTime(entry.time), QLocale::LongFormat);
        if (index.column() == DecisionColumn && !entry.detail.isEmpty())
            return tr("%1: %2").arg(outcomeText(entry.outcome), shown(entry.detail));
        if (index.column() == GatewayColumn)
            return shown(entry.gatewayId);
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
