#pragma once

#include <QList>
#include <QStringList>
#include <QWidget>

class QPushButton;

namespace countersign {

// A row of large toggle buttons, one per binding-code choice. It only
// reports the pick; whether it matches is the dialog's decision. Label it
// with setBuddy(picker), never with one of its buttons: focusing the row
// moves the keyboard to the first code without pressing it.
class BindingCodePicker : public QWidget {
    Q_OBJECT

public:
    explicit BindingCodePicker(const QStringList &choices, QWidget *parent = nullptr);

    const QList<QPushButton *> &buttons() const;

    // After the matching pick: keep it shown as chosen and take the others
    // out of reach, so that a later stray click cannot change the answer.
    void keepOnly(const QString &code);

Q_SIGNALS:
    void picked(const QString &code);

private:
    QList<QPushButton *> m_buttons;
};

} // namespace countersign
