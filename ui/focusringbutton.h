#pragma once

#include <QPushButton>

namespace countersign {

// A push button that draws a clear ring in the palette's highlight colour
// while it has the keyboard focus and its window is active. The platform
// styles draw focus faintly (Fusion: a hairline, and only after a Tab), so a
// person working the approval dialog from the keyboard could not see which
// code or button Space would press.
class FocusRingButton : public QPushButton {
    Q_OBJECT

public:
    using QPushButton::QPushButton;

    static constexpr int ringWidth = 2;

protected:
    void paintEvent(QPaintEvent *event) override;
};

} // namespace countersign
