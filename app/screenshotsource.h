#pragma once

#include <functional>

#include <QList>
#include <QObject>
#include <QString>

// Images are Qt Gui, which app/ does not link: this interface only names
// QImage, and the layers that implement and call it (platform/, ui/) have it.
class QImage;

namespace countersign {

// Why a screenshot did not happen.
struct ScreenshotFailure {
    enum class Kind {
        Cancelled,   // the person closed the screenshot dialog: not an error to show
        Unavailable, // this desktop offers no way to capture the screen (Wayland without the
                     // portal)
        Failed,      // the capture was attempted and did not work
    };

    Kind kind = Kind::Failed;
    QString message; // for people: what happened and what to do instead
};

// Captures the screen so that the pairing dialog can look for a QR code on
// it. platform/ implements it (platform/screengrabber.h): every screen with
// QScreen where the application may read the screen (X11, Windows, macOS),
// the xdg-desktop-portal Screenshot interface on Wayland, where the desktop
// asks the person first.
//
// Asynchronous, because a portal asks the person: exactly one of the two
// callbacks runs, always later from the event loop (never inside grab()), and
// only while `context` still exists. Destroying `context` abandons the
// capture.
class ScreenshotSource {
public:
    // One image per screen, or the one image the portal made; never empty.
    using Captured = std::function<void(const QList<QImage> &images)>;
    using Failed = std::function<void(const ScreenshotFailure &failure)>;

    virtual ~ScreenshotSource() = default;

    virtual void grab(const QObject *context, Captured captured, Failed failed) = 0;

protected:
    ScreenshotSource() = default;
    ScreenshotSource(const ScreenshotSource &) = default;
    ScreenshotSource &operator=(const ScreenshotSource &) = default;
};

} // namespace countersign
