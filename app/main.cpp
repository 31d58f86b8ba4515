// countersign: the tray companion. Joins the parts: the single instance,
// the keychain, the paired gateways and their clients (CompanionController),
// the tray (or a small window where there is no tray), notifications, and the
// pairing, settings and history windows.
#include "app/appid.h"
#include "app/history.h"
#include "app/pairedgateways.h"
#include "app/pairingclient.h"
#include "platform/desktopnotifier.h"
#include "platform/keychainsecretstore.h"
#include "platform/qrdecoder.h"
#include "platform/runkeyautostart.h"
#include "platform/screengrabber.h"
#include "platform/singleinstance.h"
#include "platform/translations.h"
#include "platform/urlscheme.h"
#include "platform/xdgautostart.h"
#include "protocol/clock.h"
#include "protocol/pairing/pairinglink.h"
#include "ui/companioncontroller.h"
#include "ui/historywindow.h"
#include "ui/pairingdialog.h"
#include "ui/settingsdialog.h"
#include "ui/trayicon.h"
#include "ui/trayiconnotifier.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QLoggingCategory>
#include <QPointer>

using namespace countersign;

namespace {

Q_LOGGING_CATEGORY(lcMain, "countersign.app")

// The companion's windows, one of each at a time.
class Windows {
public:
    Windows(PairingClient &pairing, PairedGateways &gateways, History &history,
            Autostart &autostart, ScreenshotSource &screenshots)
        : m_pairing(pairing)
        , m_gateways(gateways)
        , m_history(history)
        , m_autostart(autostart)
        , m_screenshots(screenshots)
    {
    }

    PairingDialog *pairing()
    {
        if (!m_pairingDialog) {
            m_pairingDialog = new PairingDialog(PairingDialog::Services{
                m_pairing, m_gateways, [](const QImage &image) { return QrDecoder::decode(image); },
                &m_screenshots, SettingsDialog::defaultDeviceName()});
            m_pairingDialog->setAttribute(Qt::WA_DeleteOnClose);
        }
        bringUp(m_pairingDialog);
        return m_pairingDialog;
    }

    void settings(CompanionController &controller)
    {
        if (!m_settings) {
            m_settings = new SettingsDialog(m_gateways, &m_autostart);
            m_settings->setAttribute(Qt::WA_DeleteOnClose);
            // Changes apply at once.
            QObject::connect(m_settings, &SettingsDialog::notificationsEnabledChanged, &controller,
                             &CompanionController::setNotificationsEnabled);
            QObject::connect(m_settings, &SettingsDialog::openPairing, m_settings,
                             [this] { pairing(); });
        }
        bringUp(m_settings);
    }

    void history()
    {
        if (!m_historyWindow) {
            m_historyWindow = new HistoryWindow(m_history);
            m_historyWindow->setAttribute(Qt::WA_DeleteOnClose);
        }
        bringUp(m_historyWindow);
    }

    ~Windows()
    {
        delete m_pairingDialog.data();
        delete m_settings.data();
        delete m_historyWindow.data();
    }

private:
    static void bringUp(QWidget *window)
    {
        window->show();
        window->raise();
        window->activateWindow();
    }

    PairingClient &m_pairing;
    PairedGateways &m_gateways;
    History &m_history;
    Autostart &m_autostart;
    ScreenshotSource &m_screenshots;
    QPointer<PairingDialog> m_pairingDialog;
    QPointer<SettingsDialog> m_settings;
    QPointer<HistoryWindow> m_historyWindow;
};

// --help and --version answer without a display (QApplication needs one).
bool onlyAsksForHelpOrVersion(int argc, char *argv[])
{
    for (int i = 1; i < argc; ++i) {
        const QByteArrayView argument(argv[i]);
        if (argument == "--help" || argument == "-h" || argument == "--help-all"
            || argument == "--version" || argument == "-v")
            return true;
    }
    return false;
}

} // namespace

int main(int argc, char *argv[])
{
    std::unique_ptr<QCoreApplication> application;
    if (onlyAsksForHelpOrVersion(argc, argv))
        application = std::make_unique<QCoreApplication>(argc, argv);
    else
        application = std::make_unique<QApplication>(argc, argv);
    QCoreApplication &app = *application;
    QCoreApplication::setOrganizationName(AppId::organizationName());
    QCoreApplication::setApplicationName(AppId::applicationName());
    QCoreApplication::setApplicationVersion(QStringLiteral(COUNTERSIGN_VERSION));
    QGuiApplication::setDesktopFileName(AppId::id());
    // The person's language, where there is a translation (before any text).
    Translations::install(app);

    QCommandLineParser parser;
    parser.setApplicationDescription(QCoreApplication::translate(
        "main", "Approve your AI agents' sensitive actions from your desktop."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption pairOption(
        QStringLiteral("pair"),
        QCoreApplication::translate("main", "Pair with the gateway of this countersign:// link."),
        QStringLiteral("LINK"));
    const QCommandLineOption minimized(
        QStringLiteral("minimized"),
        QCoreApplication::translate("main", "Start in the tray without opening a window."));
    parser.addOptions({pairOption, minimized});
    parser.addPositionalArgument(
        QStringLiteral("url"),
        QCoreApplication::translate("main", "A countersign:// pairing link (from the desktop)."),
        QStringLiteral("[url]"));
    parser.process(app); // exits for --help and --version
    // A tray app lives on when its last window closes.
    QApplication::setQuitOnLastWindowClosed(false);

    // One companion per user: a second launch hands over its link and ends.
    SingleInstance instance;
    const auto role = instance.start();
    if (!role) {
        qCCritical(lcMain).noquote() << role.error().message;
        return 1;
    }
    const QStringList forwarded = QCoreApplication::arguments().mid(1);
    if (role.value() == SingleInstance::Role::Secondary) {
        int exitCode = 0;
        instance.send(forwarded, [&](Status sent) {
            if (!sent) {
                qCCritical(lcMain).noquote() << sent.error().message;
                exitCode = 1;
            }
            QCoreApplication::quit();
        });
        app.exec();
        return exitCode;
    }

    SystemClock clock;
    KeychainSecretStore secrets;
    PairedGateways gateways(secrets);
    History history(History::defaultFilePath());
    if (const Status loaded = history.load(); !loaded)
        qCWarning(lcMain).noquote() << loaded.error().message;

    TrayIcon tray;
    TrayIconNotifier trayNotifier(tray);
    DesktopNotifier notifier(&trayNotifier);
    CompanionController controller(gateways, secrets, history, &notifier, clock);
    PairingClient pairing(secrets, clock);
#ifdef Q_OS_WIN
    RunKeyAutostart autostart;
#else
    XdgAutostart autostart;
#endif
    ScreenGrabber screenshots;
    Windows windows(pairing, gateways, history, autostart, screenshots);

    controller.setNotificationsEnabled(SettingsDialog::notificationsEnabled());
    QObject::connect(&controller, &CompanionController::summaryChanged, &tray,
                     [&tray](const TrayIconState &state) { tray.setState(state); });
    QObject::connect(&controller, &CompanionController::gatewayProblem, &tray,
                     [&tray](const QString &gateway, const QString &message) {
                         tray.showMessage(gateway, message);
                     });
    QObject::connect(&tray, &TrayIcon::openApproval, &controller,
                     &CompanionController::openApproval);
    QObject::connect(&tray, &TrayIcon::openHistory, &app, [&windows] { windows.history(); });
    QObject::connect(&tray, &TrayIcon::openPairing, &app, [&windows] { windows.pairing(); });
    QObject::connect(&tray, &TrayIcon::openSettings, &app,
                     [&windows, &controller] { windows.settings(controller); });
    QObject::connect(&tray, &TrayIcon::quit, &app, &QCoreApplication::quit);

    const auto handle = [&](const QStringList &arguments) {
        const QString link = UrlScheme::linkInArguments(arguments);
        if (!link.isEmpty())
            windows.pairing()->showLinkText(link);
        else if (tray.isShowingFallbackWindow())
            tray.show();
    };
    QObject::connect(&instance, &SingleInstance::messageReceived, &app, handle);
    // macOS hands a clicked countersign:// link over as an event, not an argument.
    UrlOpenEvents urlEvents;
    app.installEventFilter(&urlEvents);
    QObject::connect(&urlEvents, &UrlOpenEvents::linkOpened, &app,
                     [&windows](const QString &link) { windows.pairing()->showLinkText(link); });

    controller.start();
    tray.setState(controller.summary());
    tray.show();
    if (!parser.isSet(minimized) || !UrlScheme::linkInArguments(forwarded).isEmpty())
        handle(forwarded);
    return app.exec();
}
