#include "confirmation.h"

#include <QMessageBox>
#include <QPushButton>

namespace countersign {

Confirmation makeConfirmation(const ConfirmationText &text, const QString &objectName,
                              const QString &actionName, const QString &cancelName, QWidget *parent)
{
    Confirmation made;
    made.box = new QMessageBox(QMessageBox::Warning, text.title, text.question,
                               QMessageBox::NoButton, parent);
    made.box->setObjectName(objectName);
    made.box->setTextFormat(Qt::PlainText);
    made.box->setInformativeText(text.details);
    made.action = made.box->addButton(text.actionText, QMessageBox::DestructiveRole);
    made.action->setObjectName(actionName);
    made.cancel = made.box->addButton(QMessageBox::Cancel);
    if (!cancelName.isEmpty())
        made.cancel->setObjectName(cancelName);
    made.box->setDefaultButton(made.cancel);
    made.box->setEscapeButton(made.cancel);
    made.box->setAttribute(Qt::WA_DeleteOnClose);
    return made;
}

} // namespace countersign
