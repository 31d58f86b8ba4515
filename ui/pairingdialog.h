#pragma once

#include "app/gatewayprofile.h"
#include "app/pairingfailure.h"
#include "protocol/pairing/pairinglink.h"

#include <chrono>
#include <functional>
#include <optional>

#include <QDialog>
#include <QImage>
#include <QList>
#include <QStringList>
#include <QTimer>

class QFormLayout;
class QFrame;
class QIcon;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QToolButton;

namespace countersign {

class PairedGateways;
class PairingClient;
class PlainLabel;
class ScreenshotSource;
struct ScreenshotFailure;

// Pairs this computer with a gateway, in four steps:
//
// 1. Source: the link `countersign-gateway pair` shows, from a QR code on
//    the screen ("Scan the screen", through the injected ScreenshotSource;
//    the dialog hides while the screen is captured), in an image file
//    ("Open image…"), from the clipboard ("Paste": a link, or an image of
//    the code), or typed. QR codes are read by the injected reader
//    (platform's QrDecoder::decode) and the link picked by
//    PairingLinkFinder; every text is untrusted and parsed strictly.
//    A text that is not a link stays in the link field, to be corrected.
// 2. Confirm: the gateway's name, address, key fingerprint (grouped as the
//    gateway prints it, fixed-pitch) and how the connection is protected,
//    with the name this computer gets there. Cancel is the default button;
//    Pair takes a click (or Space, or Alt+P): Enter never pairs. Back only
//    when the person came from the source page. A gateway already in
//    PairedGateways (same key or address) is not paired again: the
//    AlreadyPaired page says so and what to do (unpair it in Settings first).
// 3. Progress: PairingClient makes the device key, checks the keychain,
//    registers the key with the gateway and stores it in the keychain; the
//    record is saved in PairedGateways.
// 4. Done, or what went wrong and what to do next (PairingFailure kinds in
//    sentences), with "Try again" where the same link may still work.
//
// Show it with show() or open(), not exec(): hiding for the screen capture
// would end exec()'s loop. While pairing runs the dialog cannot be closed
// (the client has no cancel; it times out by itself).
class PairingDialog : public QDialog {
    Q_OBJECT

public:
    // The texts of every QR code in an image (QrDecoder::decode).
    using QrReader = std::function<QStringList(const QImage &image)>;

    struct Services {
        PairingClient &client;
        PairedGateways &gateways;
        QrReader readQrCodes;
        ScreenshotSource *screenshots = nullptr; // none: no "Scan the screen"
        QString defaultDeviceName;               // prefilled; PairingClient's when empty
        // This computer can use security keys: once paired, offer to add one.
        bool offerSecurityKey = false;
    };

    // Images larger than this (either side, in pixels) are refused unread.
    static constexpr int maxImageSide = 16384;
    // Time for the desktop to take the hidden dialog off the screen before
    // the capture.
    static constexpr std::chrono::milliseconds hideBeforeCapture{300};
    // Pair stays disabled this long after a link from outside brought up
    // the confirmation: the dialog may pop up under a pointer that was
    // about to click something else (the approval dialog's Approve waits
    // the same).
    static constexpr std::chrono::milliseconds pairHoldBack{600};

    // AlreadyPaired: the link is for a gateway this computer is paired with
    // (same key or address); says so and what to do instead of pairing.
    enum class Page { Source, Confirm, Progress, Done, Failed, AlreadyPaired };

    explicit PairingDialog(Services services, QWidget *parent = nullptr);
    ~PairingDialog() override;

    Page page() const;
    // The link being confirmed or paired, once one was read.
    std::optional<PairingLink> link() const { return m_link; }
    // Pair is disabled for pairHoldBack after a link arrived from outside.
    bool isPairHeldBack() const { return m_pairHoldBack.isActive(); }

public Q_SLOTS:
    // A link that arrived another way (--pair on the command line, the
    // countersign:// URL handler): straight to the confirmation, or the
    // source page with the reason it is not a pairing link. While the
    // confirmation shows another link, that link stays and a note says
    // the new one was set aside.
    void showLinkText(const QString &text);
    void showLink(const PairingLink &link);
    // What "Open image…" does with the chosen file.
    void openImageFile(const QString &path);
    // What "Paste" does with the clipboard.
    void pasteFromClipboard();
    // What "Scan the screen" does.
    void scanScreen();

    // Escape and the close button; ignored while pairing runs.
    void reject() override;

Q_SIGNALS:
    // Pairing completed and the gateway was saved in PairedGateways.
    void paired(const countersign::GatewayProfile &profile);
    // The person chose to add a security key for the new gateway (the
    // dialog closes; Settings does the adding).
    void addSecurityKey(const QString &gatewayId);

protected:
    void closeEvent(QCloseEvent *event) override;
    void showEvent(QShowEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    QWidget *buildHeader();
    QWidget *buildGatewayPanel();
    QWidget *buildSourcePage();
    QWidget *buildConfirmPage();
    QWidget *buildProgressPage();
    QWidget *buildDonePage();
    QWidget *buildFailedPage();
    QWidget *buildAlreadyPairedPage();
    QWidget *buildFooter();

    void showPage(Page page);
    void setHeader(const QIcon &icon, const QString &title, const QString &subtitle);
    void fitHeight();
    // `linkText`: the text that was not a link, put back in the link field
    // to be corrected (empty: the field keeps what it has).
    void showSourceError(const QString &text, const QString &linkText = QString());
    // A link read from the sources (`fromSources`) or given from outside
    // (command line, URL handler), when the source page was never seen.
    void useLinkText(const QString &text, bool fromSources);
    void useLink(const PairingLink &link, bool fromSources);
    // True when a link from outside must not replace the one on the
    // confirmation page (it says so there instead).
    bool keepsTheLinkBeingChecked(const Result<PairingLink> &incoming);
    // Disables Pair for pairHoldBack when a link from outside brought up
    // the confirmation.
    void holdBackPairAfterOutsideLink();
    std::optional<GatewayProfile> pairedGatewayFor(const PairingLink &link) const;
    void noteSourcePageShown();
    void useDecodedImages(const QList<QImage> &images, const QString &whereNothing);
    void onScreenCaptured(const QList<QImage> &images);
    void onScreenCaptureFailed(const ScreenshotFailure &failure);
    void onTypedLink();
    void onPairClicked();
    void onSucceeded(const GatewayProfile &profile);
    void onFailed(const PairingFailure &failure);
    void showFailure(PairingFailure::Kind kind, const QString &headline, const QString &advice,
                     const QString &details, bool retry);
    void onBackClicked();
    void returnFromCapture();

    Services m_services;
    std::optional<PairingLink> m_link;
    std::optional<PairingFailure::Kind> m_failureKind; // of the failure shown
    bool m_canRetry = false;
    bool m_pairing = false;
    QTimer m_pairHoldBack;
    bool m_capturing = false;
    // The person came to the confirmation from the source page: only then
    // is there a page to go back to.
    bool m_linkFromSources = false;
    bool m_sourcePageSeen = false;

    PlainLabel *m_headerIcon = nullptr;
    PlainLabel *m_title = nullptr;
    PlainLabel *m_subtitle = nullptr;
    QStackedWidget *m_pages = nullptr;
    // Source
    QToolButton *m_scan = nullptr;
    QToolButton *m_openImage = nullptr;
    QToolButton *m_paste = nullptr;
    QLineEdit *m_linkEdit = nullptr;
    QPushButton *m_continue = nullptr;
    PlainLabel *m_sourceError = nullptr;
    // What the link says (and, once paired, the account and device name)
    QFrame *m_panel = nullptr;
    QFormLayout *m_panelForm = nullptr;
    PlainLabel *m_gatewayName = nullptr;
    PlainLabel *m_gatewayUrl = nullptr;
    PlainLabel *m_fingerprint = nullptr;
    PlainLabel *m_connection = nullptr;
    PlainLabel *m_pin = nullptr; // the link's TLS pin, when it has one
    PlainLabel *m_account = nullptr;
    PlainLabel *m_device = nullptr;
    // Confirm
    QLineEdit *m_deviceName = nullptr;
    PlainLabel *m_confirmError = nullptr;
    // Progress
    QProgressBar *m_progress = nullptr;
    // Done
    PlainLabel *m_doneText = nullptr;
    QPushButton *m_addSecurityKey = nullptr;
    QString m_pairedGatewayId;
    // Failed
    PlainLabel *m_failedAdvice = nullptr;
    PlainLabel *m_failedDetails = nullptr;
    // Already paired
    PlainLabel *m_alreadyPairedText = nullptr;
    // Footer
    QPushButton *m_back = nullptr;
    QPushButton *m_cancel = nullptr;
    QPushButton *m_pair = nullptr;
    QPushButton *m_retry = nullptr;
    QPushButton *m_done = nullptr;
};

} // namespace countersign
