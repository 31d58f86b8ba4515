#pragma once

#include "app/screenshotsource.h"

#include <chrono>
#include <variant>

#include <QDBusConnection>
#include <QImage>
#include <QObject>
#include <QVariantMap>

namespace countersign {

// ScreenshotSource for the pairing dialog's "scan the screen".
//
// - Screens: QScreen::grabWindow(0) on every screen, one image each (X11,
//   Windows, macOS; offscreen in tests). No question is asked.
// - Portal: the xdg-desktop-portal Screenshot interface
//   (org.freedesktop.portal.Screenshot.Screenshot, interactive), the only way
//   on Wayland: the desktop asks the person what to capture and answers with
//   a file, which is read and returned as one image. Cancelling there reports
//   ScreenshotFailure::Cancelled.
// - Automatic: Portal under the Wayland platform plugin; in a Wayland session
//   with the X11 plugin (XWayland sees only X11 windows) the portal first and
//   the screens where there is no portal; Screens elsewhere.
class ScreenGrabber final : public QObject, public ScreenshotSource {
    Q_OBJECT

public:
    enum class Method { Automatic, Screens, Portal };

    // The screenshot file the portal names is read only up to this size.
    static constexpr qint64 maxImageFileBytes = 256 * 1024 * 1024;
    // How long the person may take in the portal's dialog.
    static constexpr std::chrono::milliseconds portalTimeout = std::chrono::minutes(5);

    // Automatic, with the portal on the session bus.
    explicit ScreenGrabber(QObject *parent = nullptr);
    // A given method and bus; for tests (a fake portal on a private bus).
    ScreenGrabber(Method method, const QDBusConnection &connection, QObject *parent = nullptr);
    ~ScreenGrabber() override;

    Method method() const { return m_method; }

    void grab(const QObject *context, Captured captured, Failed failed) override;

    // What a portal's Request::Response means: the local path of the
    // screenshot file, or why there is none. Response codes: 0 success,
    // 1 cancelled by the person, anything else failed.
    static std::variant<QString, ScreenshotFailure> readPortalResponse(uint response,
                                                                       const QVariantMap &results);
    // The image in the portal's file (bounded by maxImageFileBytes).
    static std::variant<QImage, ScreenshotFailure> loadImage(const QString &path);

private:
    void grabScreens(const QObject *context, const Captured &captured, const Failed &failed);
    void grabWithPortal(const QObject *context, const Captured &captured, const Failed &failed,
                        bool screensWhenUnavailable);

    Method m_method;
    QDBusConnection m_connection;
};

} // namespace countersign
