#include "plainbutton.h"

#include <QPushButton>

namespace countersign {

QPushButton *makePlainButton(const QString &text, const QString &objectName, QWidget *parent,
                             int minimumWidth)
{
    auto *button = new QPushButton(text, parent);
    button->setObjectName(objectName);
    button->setAutoDefault(false);
    button->setDefault(false);
    if (minimumWidth > 0)
        button->setMinimumWidth(minimumWidth);
    return button;
}

} // namespace countersign
