#pragma once

#include "app/historyentry.h"

#include <QAbstractTableModel>
#include <QList>

namespace countersign {

// The history as a table, newest first: When, Decision, Agent, Action,
// Resource, User, Gateway, Method, Request. Display texts are display-safe
// (the values came from requests); Qt::UserRole gives the raw value to sort
// by (the time in seconds for When).
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

    static QString outcomeText(ApprovalOutcome outcome);

private:
    QString displayText(const HistoryEntry &entry, int column) const;

    QList<HistoryEntry> m_entries; // newest first
};

} // namespace countersign
