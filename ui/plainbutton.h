#pragma once

#include <QString>

class QPushButton;
class QWidget;

namespace countersign {

// A push button that is never a default button: not default, not
// auto-default, so Enter in a dialog never presses it (in the approval
// dialog Enter must never approve; elsewhere a person presses what they
// mean). Named for Qt Test and accessibility tools. It shows a clear focus
// ring (FocusRingButton).
QPushButton *makePlainButton(const QString &text, const QString &objectName, QWidget *parent,
                             int minimumWidth = 0);

} // namespace countersign
