#include "screengrabber.h"

#include <functional>
#include <utility>

#include <QDBusError>
#include <QDBusMessage>
#include <QDBusObjectPath>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QFileInfo>
#include <QGuiApplication>
#include <QImageReader>
#include <QLoggingCategory>
#include <QPixmap>
#include <QPointer>
#include <QRandomGenerator>
#include <QScreen>
#include <QTimer>
#include <QUrl>

namespace countersign {

namespace {

Q_LOGGING_CATEGORY(lcScreenGrabber, "countersign.platform.screenshot")

const QString portalService = QStringLiteral("org.freedesktop.portal.Desktop");
const QString portalPath = QStringLiteral("/org/freedesktop/portal/desktop");
const QString screenshotInterface = QStringLiteral("org.freedesktop.portal.Screenshot");
const QString requestInterface = QStringLiteral("org.freedesktop.portal.Request");

bool waylandPlatform()
{
    return QGuiApplication::platformName().startsWith(QStringLiteral("wayland"));
}

bool waylandSession()
{
    return qEnvironmentVariable("XDG_SESSION_TYPE") == QStringLiteral("wayland")
        || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
}

ScreenshotFailure failure(ScreenshotFailure::Kind kind, const QString &message)
{
    return ScreenshotFailure{kind, message};
}

} // namespace

// One call of the portal's Screenshot method, from the call to the
// Request's Response signal. It answers at most once, and not at all when the
// caller's context is destroyed first (the portal's dialog is then closed).
class PortalScreenshotRequest : public QObject {
    Q_OBJECT

public:
    using Unavailable = std::function<void()>;

    PortalScreenshotRequest(const QDBusConnection &connection, const QObject *context,
                            ScreenshotSource::Captured captured, ScreenshotSource::Failed failed,
                            Unavailable unavailable, QObject *parent)
        : QObject(parent)
        , m_connection(connection)
        , m_context(context)
        , m_captured(std::move(captured))
        , m_failed(std::move(failed))
        , m_unavailable(std::move(unavailable))
    {
        connect(context, &QObject::destroyed, this, [this] {
            closeRequest();
            deleteLater();
        });
        m_timeout.setSingleShot(true);
        connect(&m_timeout, &QTimer::timeout, this, [this] {
            closeRequest();
            fail(failure(ScreenshotFailure::Kind::Failed,
                         ScreenGrabber::tr("The desktop did not answer the screenshot request.")));
        });
    }

    ~PortalScreenshotRequest() override { closeRequest(); }

    void start()
    {
        m_timeout.start(ScreenGrabber::portalTimeout);
        if (!m_connection.isConnected()) {
            QTimer::singleShot(0, this, [this] { unavailable(QStringLiteral("no session bus")); });
            return;
        }
        // The request's object path is known before the call (portal version
        // 0.9 and later): listen there first, so that a quick answer is not
        // missed.
        const QString token =
            QStringLiteral("countersign%1")
                .arg(QRandomGenerator::global()->generate64(), 16, 16, QLatin1Char('0'));
        QString sender = m_connection.baseService();
        if (sender.startsWith(u':'))
            sender.remove(0, 1);
        sender.replace(u'.', u'_');
        subscribe(
            QStringLiteral("/org/freedesktop/portal/desktop/request/%1/%2").arg(sender, token));

        QVariantMap options;
        options.insert(QStringLiteral("handle_token"), token);
        options.insert(QStringLiteral("interactive"), true);
        options.insert(QStringLiteral("modal"), true);
        QDBusMessage call = QDBusMessage::createMethodCall(
            portalService, portalPath, screenshotInterface, QStringLiteral("Screenshot"));
        // No parent window identifier: the portal's dialog stands on its own.
        call << QString() << options;
        auto *watcher = new QDBusPendingCallWatcher(
            m_connection.asyncCall(call, static_cast<int>(ScreenGrabber::portalTimeout.count())),
            this);
        connect(watcher, &QDBusPendingCallWatcher::finished, this,
                [this](QDBusPendingCallWatcher *finished) { onCallReply(finished); });
    }

private Q_SLOTS:
    void onResponse(uint response, const QVariantMap &results)
    {
        if (m_finished)
            return;
        m_answered = true;
        unsubscribe();
        const auto path = ScreenGrabber::readPortalResponse(response, results);
        if (const auto *why = std::get_if<ScreenshotFailure>(&path)) {
            fail(*why);
            return;
        }
        const auto image = ScreenGrabber::loadImage(std::get<QString>(path));
        if (const auto *why = std::get_if<ScreenshotFailure>(&image)) {
            fail(*why);
            return;
        }
        succeed({std::get<QImage>(image)});
    }

private:
    void onCallReply(QDBusPendingCallWatcher *watcher)
    {
        watcher->deleteLater();
        if (m_finished)
            return;
        const QDBusPendingReply<QDBusObjectPath> reply = *watcher;
        if (reply.isError()) {
            unsubscribe();
            const QDBusError::ErrorType type = reply.error().type();
            const bool missing = type == QDBusError::ServiceUnknown
                || type == QDBusError::UnknownObject || type == QDBusError::UnknownInterface
                || type == QDBusError::UnknownMethod || type == QDBusError::Disconnected;
            if (missing) {
                unavailable(reply.error().message());
                return;
            }
            fail(failure(ScreenshotFailure::Kind::Failed,
                         ScreenGrabber::tr("The desktop refused to take a screenshot: %1")
                             .arg(reply.error().message())));
            return;
        }
        const QString handle = reply.value().path();
        // Older portals choose the path themselves: follow them there.
        if (handle != m_handle && !m_answered)
            subscribe(handle);
    }

    void subscribe(const QString &handle)
    {
        unsubscribe();
        m_handle = handle;
        // Only the portal (the owner of its name) is listened to.
        m_subscribed = m_connection.connect(portalService, m_handle, requestInterface,
                                            QStringLiteral("Response"), this,
                                            SLOT(onResponse(uint, QVariantMap)));
    }

    void unsubscribe()
    {
        if (!m_subscribed)
            return;
        m_connection.disconnect(portalService, m_handle, requestInterface,
                                QStringLiteral("Response"), this,
                                SLOT(onResponse(uint, QVariantMap)));
        m_subscribed = false;
    }

    // Closes the portal's dialog when nobody waits for it any more.
    void closeRequest()
    {
        if (m_finished || m_answered || m_handle.isEmpty() || !m_connection.isConnected())
            return;
        m_connection.send(QDBusMessage::createMethodCall(portalService, m_handle, requestInterface,
                                                         QStringLiteral("Close")));
        m_answered = true;
        unsubscribe();
    }

    void unavailable(const QString &detail)
    {
        qCInfo(lcScreenGrabber) << "no screenshot portal:" << detail;
        if (m_unavailable && m_context) {
            finish();
            m_unavailable();
            return;
        }
        fail(failure(
            ScreenshotFailure::Kind::Unavailable,
            ScreenGrabber::tr("This desktop offers no screenshot service (xdg-desktop-portal). "
                              "Save the QR code as an image and open it, or paste the link.")));
    }

    void succeed(const QList<QImage> &images)
    {
        if (!finish())
            return;
        m_captured(images);
    }

    void fail(const ScreenshotFailure &why)
    {
        if (!finish())
            return;
        m_failed(why);
    }

    // Ends the request: true when the caller is still there to be told.
    bool finish()
    {
        if (m_finished)
            return false;
        m_finished = true;
        m_timeout.stop();
        unsubscribe();
        deleteLater();
        return !m_context.isNull();
    }

    QDBusConnection m_connection;
    QPointer<const QObject> m_context;
    ScreenshotSource::Captured m_captured;
    ScreenshotSource::Failed m_failed;
    Unavailable m_unavailable;
    QString m_handle;
    QTimer m_timeout;
    bool m_subscribed = false;
    bool m_answered = false;
    bool m_finished = false;
};

ScreenGrabber::ScreenGrabber(QObject *parent)
    : ScreenGrabber(Method::Automatic, QDBusConnection::sessionBus(), parent)
{
}

ScreenGrabber::ScreenGrabber(Method method, const QDBusConnection &connection, QObject *parent)
    : QObject(parent)
    , m_method(method)
    , m_connection(connection)
{
}

ScreenGrabber::~ScreenGrabber() = default;

void ScreenGrabber::grab(const QObject *context, Captured captured, Failed failed)
{
    Method method = m_method;
    bool screensWhenUnavailable = false;
    if (method == Method::Automatic) {
        if (waylandPlatform()) {
            method = Method::Portal;
        } else if (waylandSession()) {
            method = Method::Portal;
            screensWhenUnavailable = true;
        } else {
            method = Method::Screens;
        }
    }
    if (method == Method::Portal)
        grabWithPortal(context, captured, failed, screensWhenUnavailable);
    else
        grabScreens(context, captured, failed);
}

void ScreenGrabber::grabScreens(const QObject *context, const Captured &captured,
                                const Failed &failed)
{
    // Later, from the event loop, as promised; skipped when `context` is gone.
    QTimer::singleShot(0, context, [captured, failed] {
        QList<QImage> images;
        const QList<QScreen *> screens = QGuiApplication::screens();
        for (QScreen *screen : screens) {
            const QPixmap pixmap = screen->grabWindow(0);
            if (!pixmap.isNull())
                images.append(pixmap.toImage());
        }
        if (images.isEmpty()) {
            failed(failure(ScreenshotFailure::Kind::Failed,
                           ScreenGrabber::tr("Could not capture the screen. Save the QR code as an "
                                             "image and open it, or paste the link.")));
            return;
        }
        captured(images);
    });
}

void ScreenGrabber::grabWithPortal(const QObject *context, const Captured &captured,
                                   const Failed &failed, bool screensWhenUnavailable)
{
    PortalScreenshotRequest::Unavailable unavailable;
    if (screensWhenUnavailable) {
        QPointer<const QObject> guard(context);
        unavailable = [this, guard, captured, failed] {
            if (guard)
                grabScreens(guard, captured, failed);
        };
    }
    auto *request =
        new PortalScreenshotRequest(m_connection, context, captured, failed, unavailable, this);
    request->start();
}

std::variant<QString, ScreenshotFailure>
ScreenGrabber::readPortalResponse(uint response, const QVariantMap &results)
{
    if (response == 1)
        return failure(ScreenshotFailure::Kind::Cancelled,
                       ScreenGrabber::tr("The screenshot was cancelled."));
    if (response != 0)
        return failure(ScreenshotFailure::Kind::Failed,
                       ScreenGrabber::tr("The desktop could not take the screenshot."));
    const QVariant uri = results.value(QStringLiteral("uri"));
    const QUrl url(uri.toString(), QUrl::StrictMode);
    if (uri.typeId() != QMetaType::QString || !url.isValid() || !url.isLocalFile()
        || url.toLocalFile().isEmpty())
        return failure(ScreenshotFailure::Kind::Failed,
                       ScreenGrabber::tr("The desktop's screenshot did not name a local file."));
    return url.toLocalFile();
}

std::variant<QImage, ScreenshotFailure> ScreenGrabber::loadImage(const QString &path)
{
    const QFileInfo info(path);
    if (!info.isFile())
        return failure(ScreenshotFailure::Kind::Failed,
                       ScreenGrabber::tr("The screenshot file %1 does not exist.").arg(path));
    if (info.size() > maxImageFileBytes)
        return failure(ScreenshotFailure::Kind::Failed,
                       ScreenGrabber::tr("The screenshot file %1 is too large.").arg(path));
    QImageReader reader(path);
    reader.setAutoTransform(true);
    QImage image = reader.read();
    if (image.isNull())
        return failure(ScreenshotFailure::Kind::Failed,
                       ScreenGrabber::tr("Could not read the screenshot %1: %2")
                           .arg(path, reader.errorString()));
    return image;
}

} // namespace countersign

#include "screengrabber.moc"
