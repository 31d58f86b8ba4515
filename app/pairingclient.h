#pragma once

#include "app/gatewayprofile.h"
#include "app/pairingfailure.h"
#include "app/secretstore.h"
#include "protocol/clock.h"
#include "protocol/jose/ecprivatekey.h"
#include "protocol/pairing/pairinglink.h"

#include <chrono>
#include <optional>

#include <QList>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QObject>
#include <QSslError>

namespace countersign {

// Completes pairing with a gateway (docs/protocol.md 2.2) once the person has
// agreed to it: makes a fresh P-256 device key, proves possession of it with
// the link's one-time code in POST {gw}/companion/v1/pair (over TLS pinned to
// the link's spki when it has one), checks that the gateway answers with the
// very key the link names, stores the private key in the keychain and hands
// back the record to remember (PairedGateways keeps it).
//
// Before anything goes to the gateway it checks that the keychain works
// (writes, reads back and removes probeKeyName): a locked or missing
// keychain fails as KeychainUnavailable with the link unspent, instead of
// leaving a device registered at the gateway whose key nobody keeps.
//
// The private key exists only in this object's memory until the keychain has
// it, and is dropped right after.
class PairingClient : public QObject {
    Q_OBJECT

public:
    static constexpr qsizetype maxDeviceNameLength = 64; // what gateways accept
    static constexpr qsizetype maxAnswerBytes = 64 * 1024;
    static constexpr std::chrono::milliseconds defaultTimeout{20'000};

    PairingClient(SecretStore &secrets, const Clock &clock, QObject *parent = nullptr);
    ~PairingClient() override;

    // What the gateway lists this device as unless the person says
    // otherwise: "alice on build-box" (the user, and the first label of the
    // host name), so that the computers of a team, often installed from one
    // image with one host name, still differ by their user. Falls back to
    // whichever part is usable, else a generic name.
    static QString defaultDeviceName();
    static QString defaultDeviceName(const QString &hostName, const QString &userName);
    // The login name of the person running the companion.
    static QString currentUserName();

    // The keychain entry pairing writes, reads back and removes before it
    // contacts the gateway, to know the device key can be kept.
    static inline const QString probeKeyName = QStringLiteral("pairing-probe");

    // Starts pairing. Exactly one of succeeded() or failed() follows, always
    // later from the event loop. Returns false (and signals nothing) while a
    // pairing is already running.
    bool pair(const PairingLink &link, const QString &deviceName);
    bool isBusy() const { return m_busy; }

    // How long the gateway may take to answer (transfer timeout).
    void setTimeout(std::chrono::milliseconds timeout) { m_timeout = timeout; }

Q_SIGNALS:
    void succeeded(const countersign::GatewayProfile &profile);
    void failed(const countersign::PairingFailure &failure);

private:
    void onSslErrors(QNetworkReply &reply, const QList<QSslError> &errors);
    void onEncrypted(QNetworkReply &reply);
    void onFinished(QNetworkReply &reply);
    // The answer is a valid 201; checks it against the link.
    std::optional<PairingFailure> readAnswer(const QByteArray &body, GatewayProfile &profile) const;
    void storeKey(const GatewayProfile &profile);
    bool peerMatchesPin(const QNetworkReply &reply) const;
    void probeKeychain();
    void post();
    // Ends the request from this side and remembers why.
    void abortWith(QNetworkReply &reply, PairingFailure::Kind kind, const QString &message);
    // message by value: callers pass m_abortReason's, which reset() ends.
    void fail(PairingFailure::Kind kind, QString message);
    void failLater(PairingFailure::Kind kind, const QString &message);
    void reset();

    SecretStore &m_secrets;
    const Clock &m_clock;
    QNetworkAccessManager m_network;
    std::chrono::milliseconds m_timeout = defaultTimeout;
    bool m_busy = false;
    std::optional<PairingLink> m_link;
    std::optional<EcPrivateKey> m_deviceKey;
    QString m_deviceName;
    QByteArray m_body;                // the request, signed, until the keychain is known to work
    QNetworkReply *m_reply = nullptr; // the request in flight, owned by m_network
    // Set when this side ends the exchange on purpose (pin mismatch, answer
    // too large), so that the resulting "operation cancelled" reads right.
    std::optional<PairingFailure> m_abortReason;
    QStringList m_tlsErrors;
};

} // namespace countersign
