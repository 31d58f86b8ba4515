#pragma once

#include "app/historyentry.h"

#include <QAbstractTableModel>
#include <QList>

namespace countersign {

// The history as a table, newest first: When, Decision, Agent, Action,
// Resource, User, Gateway, Method, Request. Display texts are display-safe
// (the values came from requests). The decision is said in words from the
// outcome, the method and the detail ("Approved with authenticator code",
// "Denied: not during the freeze", "Denied: the code you picked did not
// match"); long request ids are shortened ("3f9c1a7e…b20d", the whole id in
// the tooltip). Qt::UserRole gives the value to sort by (the time in
// seconds for When, the whole id for Request), FilterRole the whole text a
// filter matches.
class HistoryWindowModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Column {
        WhenColumn,
        DecisionColumn,
        AgentColumn,
        ActionColumn,
        ResourceColumn,
        UserColumn,
        GatewayColumn,
        MethodColumn,
        RequestColumn,
        ColumnCount
    };
    static constexpr int FilterRole = Qt::UserRole + 1;
    // Ids up to this length are shown whole; longer ones as the first 8 and
    // the last 4 characters.
    static constexpr qsizetype maxWholeIdLength = 14;

    explicit HistoryWindowModel(QObject *parent = nullptr);

    // Oldest first, as History keeps them.
    void setEntries(const QList<HistoryEntry> &entries);
    // A new entry goes on top; at most `limit` rows are kept.
    void prepend(const HistoryEntry &entry, int limit);
    const HistoryEntry &entryAt(int row) const { return m_entries.at(row); }

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // The decision in words, from what the entry says.
    static QString outcomeText(const HistoryEntry &entry);
    // "3f9c1a7e…b20d" for a long id; short ones as they are.
    static QString shortId(const QString &id);

private:
    QString displayText(const HistoryEntry &entry, int column) const;

    QList<HistoryEntry> m_entries; // newest first
};

} // namespace countersign
