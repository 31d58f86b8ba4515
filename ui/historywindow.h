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
// appended while it is open appear on top. The Resource column takes the
// width the others leave but never less than minimumResourceWidth() (the
// table scrolls sideways first), and elides in the middle, where ids
// differ least. Escape clears the filter when it has the keyboard and
// text, else closes the window.
class HistoryWindow : public QWidget {
    Q_OBJECT

public:
    // `history` must outlive the window.
    explicit HistoryWindow(History &history, QWidget *parent = nullptr);
    ~HistoryWindow() override;

    QTableView *view() const { return m_view; }
    // Rows shown after filtering.
    int visibleCount() const;
    // Room for about this many characters of a resource, whatever the width.
    static constexpr int minResourceCharacters = 28;
    int minimumResourceWidth() const;

public Q_SLOTS:
    void setFilterText(const QString &text);

protected:
    void keyPressEvent(QKeyEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void reload();
    // The Resource column: what the others leave, at least its minimum.
    void fitResourceColumn();
    void updateCount();

    History &m_history;
    HistoryWindowModel *m_model = nullptr;
    QSortFilterProxyModel *m_filter = nullptr;
    QLineEdit *m_filterEdit = nullptr;
    QTableView *m_view = nullptr;
    PlainLabel *m_count = nullptr;
    PlainLabel *m_empty = nullptr;
    bool m_fitting = false;
};

} // namespace countersign
