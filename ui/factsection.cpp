#include "factsection.h"

#include "jsontext.h"
#include "plainlabel.h"
#include "safetext.h"
#include "ui/uistyle.h"

#include <QApplication>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QStyle>
#include <QVBoxLayout>

namespace countersign {

namespace {

// Captions are member names the gateway or agent chose; past this width they
// wrap so that one long name cannot squeeze the values.
constexpr int maxCaptionWidth = 150;

QString panelStyle(FactSection::Trust trust)
{
    // Colours with alpha over the window colour read on light and dark themes.
    if (trust == FactSection::Trust::Unverified) {
        return QStringLiteral("countersign--FactSection {"
                              " background: rgba(232, 160, 0, 0.13);"
                              " border: 1px solid rgba(200, 130, 0, 0.65);"
                              " border-radius: 6px; }");
    }
    return QStringLiteral("countersign--FactSection {"
                          " background: rgba(127, 127, 127, 0.07);"
                          " border: 1px solid rgba(127, 127, 127, 0.35);"
                          " border-radius: 6px; }");
}

} // namespace

FactSection::FactSection(Trust trust, const QString &title, const QString &note, QWidget *parent)
    : QFrame(parent)
    , m_trust(trust)
{
    setStyleSheet(panelStyle(trust));
    setAccessibleName(title);
    setAccessibleDescription(note);

    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(12, 10, 12, 12);
    outer->setSpacing(6);

    auto *titleRow = new QHBoxLayout;
    titleRow->setSpacing(6);
    const int iconSize = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this);
    auto *icon = new PlainLabel(QString(), this);
    icon->setPixmap(style()
                        ->standardIcon(trust == Trust::Verified ? QStyle::SP_DialogApplyButton
                                                                : QStyle::SP_MessageBoxWarning,
                                       nullptr, this)
                        .pixmap(iconSize, iconSize));
    titleRow->addWidget(icon, 0, Qt::AlignTop);
    auto *titleLabel = new PlainLabel(title, this);
    titleLabel->setObjectName(QStringLiteral("sectionTitle"));
    QFont titleFont = titleLabel->font();
    titleFont.setBold(true);
    titleLabel->setFont(titleFont);
    titleLabel->setWordWrap(true);
    titleRow->addWidget(titleLabel, 1);
    outer->addLayout(titleRow);

    if (!note.isEmpty()) {
        auto *noteLabel = new PlainLabel(note, this);
        noteLabel->setObjectName(QStringLiteral("sectionNote"));
        noteLabel->setWordWrap(true);
        outer->addWidget(noteLabel);
    }

    m_form = new QFormLayout;
    m_form->setContentsMargins(0, 4, 0, 0);
    m_form->setHorizontalSpacing(14);
    m_form->setVerticalSpacing(6);
    m_form->setRowWrapPolicy(QFormLayout::DontWrapRows);
    m_form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_form->setLabelAlignment(Qt::AlignLeft | Qt::AlignTop);
    outer->addLayout(m_form);
}

PlainLabel *FactSection::addFact(const QString &caption, const QString &value,
                                 const QString &valueObjectName)
{
    PlainLabel *label = addValueRow(caption, {value});
    if (!valueObjectName.isEmpty())
        label->setObjectName(valueObjectName);
    return label;
}

void FactSection::addJsonFacts(const QJsonObject &object)
{
    for (auto it = object.constBegin(); it != object.constEnd(); ++it)
        addValueRow(m_trust == Trust::Verified ? captionFor(it.key()) : it.key(),
                    jsonValueLines(it.value()));
}

QString FactSection::captionFor(const QString &memberName)
{
    // The members the gateway itself writes (gateway/mcp/stepupflow.cpp).
    if (memberName == u"arguments")
        return tr("Arguments");
    if (memberName == u"upstream")
        return tr("Upstream server");
    if (memberName == u"policy_reason")
        return tr("Policy");
    QString caption = memberName;
    caption.replace(u'_', u' ').replace(u'-', u' ');
    if (!caption.isEmpty())
        caption[0] = caption.at(0).toUpper();
    return caption;
}

void FactSection::addHeading(const QString &text)
{
    auto *heading = new PlainLabel(text, this);
    heading->setObjectName(QStringLiteral("sectionHeading"));
    QFont font = heading->font();
    font.setBold(true);
    heading->setFont(font);
    m_form->addRow(heading);
}

int FactSection::factCount() const
{
    return m_factCount;
}

PlainLabel *FactSection::addValueRow(const QString &caption, const QStringList &lines)
{
    const SafeText safeCaption = displaySafeText(caption);
    auto *captionLabel = new PlainLabel(wrappableText(safeCaption.text), this);
    captionLabel->setObjectName(QStringLiteral("factCaption"));
    captionLabel->setWordWrap(true);
    captionLabel->setMaximumWidth(maxCaptionWidth);
    captionLabel->setForegroundRole(QPalette::PlaceholderText);
    // Captions line up with the first line of a multi-line value.
    captionLabel->setAlignment(Qt::AlignLeft | Qt::AlignTop);

    bool escaped = safeCaption.escaped;
    QStringList shown;
    shown.reserve(lines.size());
    for (const QString &line : lines) {
        const SafeText safeLine = displaySafeText(line);
        escaped = escaped || safeLine.escaped;
        shown.append(wrappableText(safeLine.text));
    }
    auto *valueLabel = new PlainLabel(shown.join(QLatin1Char('\n')), this);
    valueLabel->setObjectName(QStringLiteral("factValue"));
    valueLabel->setWordWrap(true);
    valueLabel->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    // The accessible name is the caption, so a screen reader says what the
    // value is before reading it.
    valueLabel->setAccessibleName(safeCaption.text);
    // No buddy on the caption: a buddy makes QLabel read "&" as a mnemonic,
    // and captions are remote text.
    m_form->addRow(captionLabel, valueLabel);
    ++m_factCount;

    if (escaped) {
        auto *notice = new PlainLabel(
            tr("Contains hidden or control characters, shown as \\u{…} escapes."), this);
        notice->setObjectName(QStringLiteral("escapedNotice"));
        notice->setWordWrap(true);
        setForeground(notice, problemColour());
        QFont font = notice->font();
        font.setPointSizeF(font.pointSizeF() * 0.9);
        notice->setFont(font);
        m_form->addRow(static_cast<QWidget *>(nullptr), notice);
    }
    return valueLabel;
}

} // namespace countersign
