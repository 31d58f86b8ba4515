#include "bindingcodepicker.h"

#include "focusringbutton.h"

#include <QHBoxLayout>

namespace countersign {

BindingCodePicker::BindingCodePicker(const QStringList &choices, QWidget *parent)
    : QWidget(parent)
{
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(10);
    // No exclusive QButtonGroup: in one, the arrow keys move *and click*,
    // so a person moving along the row would pick (and maybe deny) by
    // accident, and Tab would skip the unchecked buttons. Plain buttons are
    // each a Tab stop and pick only on Space or a click.

    for (qsizetype i = 0; i < choices.size(); ++i) {
        const QString &code = choices.at(i);
        // The code is two digits we formatted ourselves, so no "&" can turn
        // into a mnemonic here.
        auto *button = new FocusRingButton(code, this);
        button->setObjectName(QStringLiteral("bindingCodeChoice%1").arg(i));
        button->setCheckable(true);
        // A dialog's push buttons are auto-default unless told otherwise;
        // Enter must never pick a code for the person.
        button->setAutoDefault(false);
        button->setDefault(false);
        button->setAccessibleName(tr("Code %1").arg(code));
        button->setMinimumSize(84, 48);
        QFont font = button->font();
        font.setPointSizeF(font.pointSizeF() * 1.5);
        font.setBold(true);
        button->setFont(font);
        layout->addWidget(button);
        m_buttons.append(button);
        connect(button, &QPushButton::clicked, this, [this, code] { Q_EMIT picked(code); });
    }
    layout->addStretch(1);
    // The step's title is this row's buddy, not a button's: a label whose
    // buddy is a button *clicks* it on the mnemonic (QLabel does), which
    // would pick a code for the person. The row itself takes the focus and
    // hands it to the first code, so Alt+S only moves the keyboard here.
    setFocusPolicy(Qt::TabFocus);
    if (!m_buttons.isEmpty())
        setFocusProxy(m_buttons.constFirst());
}

const QList<QPushButton *> &BindingCodePicker::buttons() const
{
    return m_buttons;
}

void BindingCodePicker::keepOnly(const QString &code)
{
    for (QPushButton *button : std::as_const(m_buttons)) {
        const bool chosen = button->text() == code;
        button->setChecked(chosen);
        button->setEnabled(chosen);
        // The chosen one stays visible as the answer but is no longer a
        // control: clicking it again would mean nothing.
        if (chosen)
            button->setFocusPolicy(Qt::NoFocus);
    }
}

} // namespace countersign
