#include "plainbutton.h"

#include "focusringbutton.h"

namespace countersign {

QPushButton *makePlainButton(const QString &text, const QString &objectName, QWidget *parent,
                             int minimumWidth)
{
    auto *button = new FocusRingButton(text, parent);
    button->setObjectName(objectName);
    button->setAutoDefault(false);
    button->setDefault(false);
    if (minimumWidth > 0)
        button->setMinimumWidth(minimumWidth);
    return button;
}

} // namespace countersign
