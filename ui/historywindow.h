#pragma once

#include <QWidget>

class QLineEdit;
class QSortFilterProxyModel;
class QTableView;

namespace countersign {

class History;
class HistoryWindowModel;
class PlainLabel;

// What happened to the requests this computer saw, newest first, with a
// filter that matches any column (agent, action, resource, gateway,
// decision, request id…). It follows the History it is given: entries
// appended while it is open appear on top.
class HistoryWindow : public QWidget {
    Q_OBJECT

public:
    // `history` must outlive the window.
    explicit HistoryWindow(History &history, QWidget *parent = nullptr);
    ~HistoryWindow() override;

    QTableView *view() const { return m_view; }
    // Rows shown after filtering.
    int visibleCount() const;

public Q_SLOTS:
    void setFilterText(const QString &text);

private:
    void reload();
    void updateCount();

    History &m_history;
    HistoryWindowModel *m_model = nullptr;
    QSortFilterProxyModel *m_filter = nullptr;
    QLineEdit *m_filterEdit = nullptr;
    QTableView *m_view = nullptr;
    PlainLabel *m_count = nullptr;
    PlainLabel *m_empty = nullptr;
};

} // namespace countersign
