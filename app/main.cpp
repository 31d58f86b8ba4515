// countersign: the tray companion. Joins the parts: the single instance,
// the keychain, the paired gateways and their clients (Companion), the
// approval dialogs (CompanionController), the tray (or a small window where
// there is no tray), notifications, and the pairing, settings and history
// windows.
#include "app/appid.h"
#include "app/companion.h"
#include "app/companionsettings.h"
#include "app/history.h"
#include "app/pairedgateways.h"
#include "app/pairingclient.h"
#include "platform/desktopnotifier.h"
#include "platform/fidoauthenticator.h"
#include "platform/fidodevicesource.h"
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
#include "ui/approvaldialog.h"
#include "ui/companioncontroller.h"
#include "ui/historywindow.h"
#include "ui/pairingdialog.h"
#include "ui/settingsdialog.h"
#include "ui/trayicon.h"
#include "ui/trayiconnotifier.h"

#include <algorithm>
#include <functional>
#include <optional>

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QPointer>
#include <QTextStream>
#include <QTimer>

using namespace countersign;

namespace {

Q_LOGGING_CATEGORY(lcMain, "countersign.app")

// The companion's windows, one of each at a time.
class Windows {
public:
    Windows(CompanionSettings &companionSettings, PairingClient &pairing, PairedGateways &gateways,
            History &history, Autostart &autostart, ScreenshotSource &screenshots)
        : m_companionSettings(companionSettings)
        , m_pairing(pairing)
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
                &m_screenshots, m_companionSettings.defaultDeviceName(),
                m_companion && m_companion->authenticator()});
            m_pairingDialog->setAttribute(Qt::WA_DeleteOnClose);
            QObject::connect(m_pairingDialog, &PairingDialog::addSecurityKey, m_pairingDialog,
                             [this](const QString &gatewayId) {
                                 if (m_companion)
                                     settings(*m_companion)->startAddingSecurityKey(gatewayId);
                             });
        }
        bringUp(m_pairingDialog);
        return m_pairingDialog;
    }

    void setCompanion(Companion *companion) { m_companion = companion; }

    SettingsDialog *settings(Companion &companion)
    {
        if (!m_settings) {
            m_settings = new SettingsDialog(m_companionSettings, m_gateways, &m_autostart,
                                            ApprovalDialog::supportedMethods());
            m_settings->setAttribute(Qt::WA_DeleteOnClose);
            // Changes apply at once.
            QObject::connect(m_settings, &SettingsDialog::notificationsEnabledChanged, &companion,
                             &Companion::setNotificationsEnabled);
            QObject::connect(m_settings, &SettingsDialog::defaultMethodChanged, &companion,
                             &Companion::setPreferredMethod);
            // The connection state of each gateway, now and as it changes.
            for (GatewayClient *client : companion.clients())
                m_settings->setGatewayState(client->profile().gatewayId, client->state());
            QObject::connect(&companion, &Companion::gatewayStateChanged, m_settings,
                             &SettingsDialog::setGatewayState);
            // Security keys: the list per gateway, adding and removing.
            for (GatewayClient *client : companion.clients()) {
                if (const auto passkeys = client->passkeyContext())
                    m_settings->setPasskeys(client->profile().gatewayId, *passkeys);
            }
            QObject::connect(&companion, &Companion::passkeysChanged, m_settings,
                             &SettingsDialog::setPasskeys);
            QObject::connect(&companion, &Companion::passkeyRegistration, m_settings,
                             &SettingsDialog::showPasskeyRegistration);
            QObject::connect(m_settings, &SettingsDialog::addPasskey, &companion,
                             &Companion::registerPasskey);
            QObject::connect(
                m_settings, &SettingsDialog::removePasskey, &companion,
                [&companion, settings = m_settings](const QString &gatewayId, const QByteArray &id,
                                                    const QString &code) {
                    if (const Status sent = companion.removePasskey(gatewayId, id, code); !sent)
                        settings->showPasskeyRemovalRefused(gatewayId, sent.error().message);
                });
            QObject::connect(&companion, &Companion::passkeyRemovalRefused, m_settings,
                             &SettingsDialog::showPasskeyRemovalRefused);
            QObject::connect(m_settings, &SettingsDialog::passkeyPinEntered, &companion,
                             [&companion](const QString &pin) {
                                 if (Authenticator *key = companion.authenticator())
                                     key->setPin(pin);
                             });
            if (Authenticator *key = companion.authenticator()) {
                m_settings->setSecurityKeys(key->devices());
                QObject::connect(key, &Authenticator::devicesChanged, m_settings,
                                 &SettingsDialog::setSecurityKeys);
                QObject::connect(m_settings, &SettingsDialog::passkeyKeyChosen, key,
                                 &Authenticator::selectDevice);
            }
            QObject::connect(m_settings, &SettingsDialog::passkeyStopped, &companion, [&companion] {
                if (Authenticator *key = companion.authenticator())
                    key->cancel();
            });
            QObject::connect(m_settings, &SettingsDialog::openPairing, m_settings,
                             [this] { pairing(); });
        }
        bringUp(m_settings);
        return m_settings;
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

    CompanionSettings &m_companionSettings;
    PairingClient &m_pairing;
    PairedGateways &m_gateways;
    History &m_history;
    Autostart &m_autostart;
    ScreenshotSource &m_screenshots;
    Companion *m_companion = nullptr;
    QPointer<PairingDialog> m_pairingDialog;
    QPointer<SettingsDialog> m_settings;
    QPointer<HistoryWindow> m_historyWindow;
};

// `--unpair GATEWAY_URL`: forget a gateway (record and device key), as
// Settings > Unpair does; scripts/demo uses it to leave nothing behind.
QString unpairTargetIn(const QStringList &arguments)
{
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        if (arguments[i] == u"--unpair" && i + 1 < arguments.size())
            return arguments[i + 1];
        if (arguments[i].startsWith(u"--unpair="))
            return arguments[i].mid(9);
    }
    return {};
}

// Unpairs the gateway whose id (its URL) is `gatewayId`; `done` gets whether
// it was paired and is now gone.
void unpairGateway(PairedGateways &gateways, const QString &gatewayId, QObject *context,
                   std::function<void(bool)> done)
{
    const QList<GatewayProfile> all = gateways.all();
    const bool paired = std::any_of(all.begin(), all.end(), [&](const GatewayProfile &profile) {
        return profile.gatewayId == gatewayId;
    });
    if (!paired) {
        qCWarning(lcMain).noquote() << "not paired with" << gatewayId;
        done(false);
        return;
    }
    gateways.unpair(gatewayId, context, [gatewayId, done](Status removed) {
        if (!removed)
            qCWarning(lcMain).noquote()
                << "could not unpair" << gatewayId << ":" << removed.error().message;
        done(removed.ok());
    });
}

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
    QElapsedTimer startup;
    startup.start();
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
    // For measuring start-up: `/usr/bin/time -v countersign --minimized
    // --quit-when-ready` (bench/companion-startup) times launch to tray-ready.
    const QCommandLineOption quitWhenReady(
        QStringLiteral("quit-when-ready"),
        QCoreApplication::translate("main",
                                    "Quit as soon as the tray icon is up (to measure start-up)."));
    // A benchmark's switch, not the person's: left out of --help.
    QCommandLineOption hiddenQuitWhenReady = quitWhenReady;
    hiddenQuitWhenReady.setFlags(QCommandLineOption::HiddenFromHelp);
    const QCommandLineOption unpairOption(
        QStringLiteral("unpair"),
        QCoreApplication::translate(
            "main", "Forget the gateway at this URL: its record and this computer's key for it."),
        QStringLiteral("GATEWAY_URL"));
    parser.addOptions({pairOption, minimized, hiddenQuitWhenReady, unpairOption});
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
            } else {
                // Not silence: say where the launch went.
                QTextStream(stdout) << QCoreApplication::translate(
                    "main", "Countersign is already running; it opens its window.\n");
            }
            QCoreApplication::quit();
        });
        app.exec();
        return exitCode;
    }

    SystemClock clock;
    KeychainSecretStore secrets;
    PairedGateways gateways(secrets);
    if (parser.isSet(unpairOption)) {
        // Nothing else runs: unpair and end, without a tray.
        std::optional<int> exitCode;
        unpairGateway(gateways, parser.value(unpairOption), &app, [&](bool ok) {
            exitCode = ok ? 0 : 1;
            QCoreApplication::exit(*exitCode);
        });
        // "Not paired" answers at once, before the event loop would run (an
        // exit() then is lost); the keychain answers later, inside it.
        return exitCode ? *exitCode : app.exec();
    }
    History history(History::defaultFilePath());
    if (const Status loaded = history.load(); !loaded)
        qCWarning(lcMain).noquote() << loaded.error().message;

    TrayIcon tray;
    TrayIconNotifier trayNotifier(tray);
    DesktopNotifier notifier(&trayNotifier);
    // Security keys through libfido2 (USB HID; the device list is read when
    // a key is needed, so an idle companion does not poll).
    FidoAuthenticator authenticator(std::make_unique<SystemFidoDevices>());
    Companion companion(gateways, secrets, history, &notifier, clock, &authenticator);
    CompanionController controller(companion, clock);
    PairingClient pairing(secrets, clock);
#ifdef Q_OS_WIN
    RunKeyAutostart autostart;
#else
    XdgAutostart autostart;
#endif
    ScreenGrabber screenshots;
    CompanionSettings settings;
    Windows windows(settings, pairing, gateways, history, autostart, screenshots);

    windows.setCompanion(&companion);
    companion.setNotificationsEnabled(settings.notificationsEnabled());
    companion.setPreferredMethod(settings.defaultMethod(ApprovalDialog::supportedMethods()));
    QObject::connect(&controller, &CompanionController::summaryChanged, &tray,
                     [&tray](const TrayIconState &state) { tray.setState(state); });
    QObject::connect(&companion, &Companion::gatewayProblem, &tray,
                     [&tray](const QString &gateway, const QString &message) {
                         tray.showMessage(gateway, message);
                     });
    QObject::connect(&companion, &Companion::securityNotice, &tray,
                     [&tray](const QString &gateway, const QString &message) {
                         tray.showMessage(gateway, message);
                     });
    QObject::connect(&tray, &TrayIcon::openApproval, &controller,
                     &CompanionController::openApproval);
    QObject::connect(&tray, &TrayIcon::openHistory, &app, [&windows] { windows.history(); });
    QObject::connect(&tray, &TrayIcon::openPairing, &app, [&windows] { windows.pairing(); });
    QObject::connect(&tray, &TrayIcon::openSettings, &app,
                     [&windows, &companion] { windows.settings(companion); });
    QObject::connect(&tray, &TrayIcon::reconnectNow, &companion, &Companion::reconnectNow);
    // exit(), not quit(): since Qt 6, quit() first asks every window to
    // close, and the fallback window refuses (closing it only puts it away),
    // which would cancel Quit.
    QObject::connect(&tray, &TrayIcon::quit, &app, [] { QCoreApplication::exit(0); });

    // A plain launch while running (from the desktop's menu, say) means
    // "show me Countersign": the oldest waiting request, else the window
    // that stands in for the tray, else Settings (the paired gateways).
    const auto showMainWindow = [&] {
        const TrayIconState state = controller.summary();
        qCInfo(lcMain) << "launched again: showing the main window";
        if (!state.pending.isEmpty()) {
            const TrayPendingItem &oldest = state.pending.constFirst();
            controller.openApproval(oldest.gatewayId, oldest.requestId);
        } else if (tray.fallbackWindow()) {
            tray.show();
        } else {
            windows.settings(companion);
        }
    };
    const auto handle = [&](const QStringList &arguments, bool launchedAgain) {
        const QString link = UrlScheme::linkInArguments(arguments);
        if (const QString unpair = unpairTargetIn(arguments); !unpair.isEmpty())
            unpairGateway(gateways, unpair, &app, [](bool) {});
        else if (!link.isEmpty())
            windows.pairing()->showLinkText(link);
        else if (launchedAgain && !arguments.contains(QStringLiteral("--minimized")))
            showMainWindow();
        else if (tray.isShowingFallbackWindow())
            tray.show();
    };
    QObject::connect(&instance, &SingleInstance::messageReceived, &app,
                     [&handle](const QStringList &arguments) { handle(arguments, true); });
    // macOS hands a clicked countersign:// link over as an event, not an argument.
    UrlOpenEvents urlEvents;
    app.installEventFilter(&urlEvents);
    QObject::connect(&urlEvents, &UrlOpenEvents::linkOpened, &app,
                     [&windows](const QString &link) { windows.pairing()->showLinkText(link); });

    companion.start();
    tray.setState(controller.summary());
    tray.show();
    if (!parser.isSet(minimized) || !UrlScheme::linkInArguments(forwarded).isEmpty())
        handle(forwarded, false);
    // Ready once the event loop has run once: the icon (or the fallback
    // window) has been handed to the desktop.
    QTimer::singleShot(0, &app, [&] {
        qCDebug(lcMain) << "tray ready" << startup.elapsed() << "ms after main()";
        if (parser.isSet(quitWhenReady)) {
            QTextStream(stdout) << "tray ready " << startup.elapsed() << " ms after main()\n";
            QCoreApplication::exit(0);
        }
    });
    return app.exec();
}
