#pragma once

#include <QColor>
#include <QtGlobal>

class QWidget;

namespace countersign {

// The few looks the companion's windows share, in one place so that they
// stay the same everywhere.

// Problems: errors, a denial, a warning about remote text. A red that reads
// on light and dark themes alike.
QColor problemColour();
// Success: an approved decision.
QColor successColour();

// Sets the widget's text colour (QPalette::WindowText) without a style sheet,
// so that the platform style keeps drawing it.
void setForeground(QWidget *widget, const QColor &colour);
// The widget's font at `factor` times its size, bold or not (titles).
void scaleFont(QWidget *widget, qreal factor, bool bold);
// Gives a button's disabled text a colour halfway between its background
// and its normal text: some dark themes draw disabled text nearly as bright
// as enabled text, and a disabled Approve must look disabled. Call again
// when the palette changes.
void keepDisabledLookDistinct(QWidget *button);

} // namespace countersign
