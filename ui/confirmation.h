#pragma once

#include <QString>

class QMessageBox;
class QPushButton;
class QWidget;

namespace countersign {

// A question asked before something the person cannot take back (quit with
// requests waiting, unpair): a warning box whose Cancel is both the default
// (Enter) and the Escape button, beside one destructive action. Plain text
// only (names in it may be remote). Deletes itself on close; the caller
// connects to `action` and calls open() (window-modal, asynchronous, so
// tests can answer it).
struct Confirmation {
    QMessageBox *box = nullptr;
    QPushButton *action = nullptr;
    QPushButton *cancel = nullptr;
};

struct ConfirmationText {
    QString title;
    QString question;
    QString details;
    QString actionText; // with its mnemonic, e.g. "&Unpair"
};

// `objectName` names the box; the buttons are `<actionName>` and
// `<cancelName>` (empty: unnamed).
Confirmation makeConfirmation(const ConfirmationText &text, const QString &objectName,
                              const QString &actionName, const QString &cancelName,
                              QWidget *parent);

} // namespace countersign
