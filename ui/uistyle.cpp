#include "uistyle.h"

#include <QFont>
#include <QPalette>
#include <QWidget>

namespace countersign {

QColor problemColour()
{
    return QColor(0xc0, 0x1c, 0x28);
}

QColor successColour()
{
    return QColor(0x26, 0xa2, 0x69);
}

void setForeground(QWidget *widget, const QColor &colour)
{
    QPalette palette = widget->palette();
    palette.setColor(QPalette::WindowText, colour);
    widget->setPalette(palette);
}

void keepDisabledLookDistinct(QWidget *button)
{
    QPalette palette = button->palette();
    const QColor text = palette.color(QPalette::Active, QPalette::ButtonText);
    const QColor background = palette.color(QPalette::Active, QPalette::Button);
    constexpr qreal towardsBackground = 0.55;
    const auto mix = [&](float from, float to) {
        return from + (to - from) * static_cast<float>(towardsBackground);
    };
    const QColor dimmed = QColor::fromRgbF(mix(text.redF(), background.redF()),
                                           mix(text.greenF(), background.greenF()),
                                           mix(text.blueF(), background.blueF()));
    if (palette.color(QPalette::Disabled, QPalette::ButtonText) == dimmed)
        return; // already set: do not loop through PaletteChange
    palette.setColor(QPalette::Disabled, QPalette::ButtonText, dimmed);
    button->setPalette(palette);
}

void scaleFont(QWidget *widget, qreal factor, bool bold)
{
    QFont font = widget->font();
    font.setPointSizeF(font.pointSizeF() * factor);
    font.setBold(bold);
    widget->setFont(font);
}

} // namespace countersign
