#include "historywindow.h"

#include "app/history.h"
#include "ui/historywindowmodel.h"
#include "ui/plainlabel.h"
#include "ui/statusicons.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace countersign {

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
    m_filter->setFilterKeyColumn(-1); // any column
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
    // The resource takes what the others leave: no sideways scrolling.
    m_view->horizontalHeader()->setStretchLastSection(false);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_view->horizontalHeader()->setSectionResizeMode(HistoryWindowModel::ResourceColumn,
                                                     QHeaderView::Stretch);
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
    resize(1120, 520);
}

HistoryWindow::~HistoryWindow() = default;

void HistoryWindow::reload()
{
    m_model->setEntries(m_history.entries());
    // Sized once to the content, then the person's own widths stay.
    m_view->resizeColumnsToContents();
    const auto header = m_view->horizontalHeader();
    for (int column = 0; column < HistoryWindowModel::ColumnCount; ++column)
        header->resizeSection(column, qMin(header->sectionSize(column) + 8, 200));
    updateCount();
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
