#include "historywindow.h"

#include "app/history.h"
#include "ui/historywindowmodel.h"
#include "ui/plainlabel.h"
#include "ui/statusicons.h"

#include <algorithm>

#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QVBoxLayout>

namespace countersign {

namespace {

// Words are cut at the end ("Denied: not during the rel…"); paths and ids,
// where the start and the end say most, in the middle (the view's mode).
class ElideRightDelegate final : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;

protected:
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override
    {
        QStyledItemDelegate::initStyleOption(option, index);
        option->textElideMode = Qt::ElideRight;
    }
};

// The widest each column is made when sized to its content, in average
// characters; the tooltip has the whole value.
int columnCap(int column)
{
    switch (column) {
    case HistoryWindowModel::DecisionColumn:
        return 42;
    case HistoryWindowModel::ActionColumn:
    case HistoryWindowModel::UserColumn:
        return 22;
    case HistoryWindowModel::GatewayColumn:
        return 20;
    default:
        return 18;
    }
}

} // namespace

HistoryWindow::HistoryWindow(History &history, QWidget *parent)
    : QWidget(parent, Qt::Window)
    , m_history(history)
{
    setObjectName(QStringLiteral("historyWindow"));
    setWindowTitle(tr("History — Countersign"));
    setWindowIcon(StatusIcons::appIcon());

    m_model = new HistoryWindowModel(this);
    m_filter = new QSortFilterProxyModel(this);
    m_filter->setSourceModel(m_model);
    m_filter->setFilterKeyColumn(-1);                        // any column
    m_filter->setFilterRole(HistoryWindowModel::FilterRole); // whole ids, not shortened
    m_filter->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_filter->setSortRole(Qt::UserRole);
    m_filter->setSortCaseSensitivity(Qt::CaseInsensitive);

    auto *column = new QVBoxLayout(this);
    column->setContentsMargins(14, 12, 14, 12);
    column->setSpacing(8);

    auto *top = new QHBoxLayout;
    m_filterEdit = new QLineEdit(this);
    m_filterEdit->setObjectName(QStringLiteral("filterEdit"));
    m_filterEdit->setPlaceholderText(tr("Filter by agent, action, resource, gateway, decision…"));
    m_filterEdit->setClearButtonEnabled(true);
    m_filterEdit->setAccessibleName(tr("Filter"));
    connect(m_filterEdit, &QLineEdit::textChanged, this, &HistoryWindow::setFilterText);
    top->addWidget(m_filterEdit, 1);
    m_count = new PlainLabel(QString(), this);
    m_count->setObjectName(QStringLiteral("countLabel"));
    m_count->setForegroundRole(QPalette::PlaceholderText);
    top->addWidget(m_count);
    column->addLayout(top);

    m_view = new QTableView(this);
    m_view->setObjectName(QStringLiteral("historyView"));
    m_view->setModel(m_filter);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setAlternatingRowColors(true);
    m_view->setShowGrid(false);
    m_view->setWordWrap(false);
    m_view->setTextElideMode(Qt::ElideMiddle);
    m_view->setSortingEnabled(true);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 10);
    m_view->horizontalHeader()->setHighlightSections(false);
    // The resource takes what the others leave, but never collapses: below
    // its minimum the table scrolls sideways instead (fitResourceColumn).
    m_view->horizontalHeader()->setStretchLastSection(false);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_view->viewport()->installEventFilter(this);
    connect(m_view->horizontalHeader(), &QHeaderView::sectionResized, this, [this](int logical) {
        if (logical != HistoryWindowModel::ResourceColumn)
            fitResourceColumn();
    });
    auto *wordsDelegate = new ElideRightDelegate(m_view);
    for (int wordsColumn : {HistoryWindowModel::DecisionColumn, HistoryWindowModel::AgentColumn,
                            HistoryWindowModel::ActionColumn, HistoryWindowModel::UserColumn,
                            HistoryWindowModel::GatewayColumn, HistoryWindowModel::MethodColumn})
        m_view->setItemDelegateForColumn(wordsColumn, wordsDelegate);
    // The decision says how ("Approved with authenticator code"); the
    // method column stays in the model for the filter and sorting.
    m_view->setColumnHidden(HistoryWindowModel::MethodColumn, true);
    m_view->sortByColumn(HistoryWindowModel::WhenColumn, Qt::DescendingOrder);
    m_view->setAccessibleName(tr("Decisions"));
    column->addWidget(m_view, 1);

    m_empty = new PlainLabel(tr("No decisions yet. Every request you approve or deny here, and "
                                "every one that expires or is decided elsewhere, is listed."),
                             this);
    m_empty->setObjectName(QStringLiteral("emptyLabel"));
    m_empty->setWordWrap(true);
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setForegroundRole(QPalette::PlaceholderText);
    column->addWidget(m_empty, 1);

    connect(&m_history, &History::reloaded, this, &HistoryWindow::reload);
    connect(&m_history, &History::appended, this, [this](const HistoryEntry &entry) {
        m_model->prepend(entry, History::maxEntries);
        updateCount();
    });
    reload();
    resize(1240, 520);
}

HistoryWindow::~HistoryWindow() = default;

void HistoryWindow::reload()
{
    m_model->setEntries(m_history.entries());
    // Sized once to the content, then the person's own widths stay. Each
    // column is capped (its cells elide, the tooltip has it all) so that
    // the resource keeps its room.
    m_view->resizeColumnsToContents();
    const auto header = m_view->horizontalHeader();
    const int character = fontMetrics().averageCharWidth();
    for (int column = 0; column < HistoryWindowModel::ColumnCount; ++column) {
        // Dates and shortened ids are short by themselves.
        if (column == HistoryWindowModel::ResourceColumn || column == HistoryWindowModel::WhenColumn
            || column == HistoryWindowModel::RequestColumn)
            continue;
        header->resizeSection(column,
                              qMin(header->sectionSize(column) + 8, character * columnCap(column)));
    }
    fitResourceColumn();
    updateCount();
}

int HistoryWindow::minimumResourceWidth() const
{
    return fontMetrics().averageCharWidth() * minResourceCharacters;
}

void HistoryWindow::fitResourceColumn()
{
    if (m_fitting)
        return;
    m_fitting = true;
    const auto header = m_view->horizontalHeader();
    int others = 0;
    for (int column = 0; column < HistoryWindowModel::ColumnCount; ++column) {
        if (column != HistoryWindowModel::ResourceColumn && !header->isSectionHidden(column))
            others += header->sectionSize(column);
    }
    const int available = m_view->viewport()->width() - others;
    header->resizeSection(HistoryWindowModel::ResourceColumn,
                          std::max(minimumResourceWidth(), available));
    m_fitting = false;
}

bool HistoryWindow::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_view->viewport() && event->type() == QEvent::Resize)
        fitResourceColumn();
    return QWidget::eventFilter(watched, event);
}

void HistoryWindow::keyPressEvent(QKeyEvent *event)
{
    if (event->key() == Qt::Key_Escape && event->modifiers() == Qt::NoModifier) {
        if (m_filterEdit->hasFocus() && !m_filterEdit->text().isEmpty())
            m_filterEdit->clear();
        else
            close();
        event->accept();
        return;
    }
    QWidget::keyPressEvent(event);
}

void HistoryWindow::setFilterText(const QString &text)
{
    if (m_filterEdit->text() != text)
        m_filterEdit->setText(text); // comes back here through textChanged
    m_filter->setFilterFixedString(text.trimmed());
    updateCount();
}

int HistoryWindow::visibleCount() const
{
    return m_filter->rowCount();
}

void HistoryWindow::updateCount()
{
    const int total = m_model->rowCount();
    const int shown = m_filter->rowCount();
    if (m_filter->filterRegularExpression().pattern().isEmpty())
        m_count->setText(total == 1 ? tr("1 decision") : tr("%n decisions", nullptr, total));
    else
        m_count->setText(tr("%1 of %2").arg(shown).arg(total));
    const bool empty = total == 0;
    m_view->setVisible(!empty);
    m_empty->setVisible(empty);
}

} // namespace countersign
