#pragma once

#include "protocol/clock.h"
#include "protocol/jose/ecprivatekey.h"
#include "protocol/messages/approvalproof.h"
#include "protocol/messages/approvalrequest.h"
#include "protocol/pairing/pairinglink.h"

#include <functional>

#include <QJsonObject>
#include <QList>
#include <QNetworkAccessManager>
#include <QObject>
#include <QSslError>
#include <QWebSocket>

namespace countersign::testing {

// A companion for tests: speaks docs/protocol.md with its own device key over
// real HTTP and WebSocket connections. It approves only when a test tells it
// to; it lives in tests/, never in a shipped program.
class TestCompanion : public QObject {
    Q_OBJECT

public:
    struct HttpReply {
        int status = 0;
        QJsonObject body;
    };

    explicit TestCompanion(const Clock &clock, QObject *parent = nullptr);

    // Another connection of the same paired device (same key, id and pins).
    std::unique_ptr<TestCompanion> sameDevice() const;

    // POST /companion/v1/pair with a fresh device key; on 201 remembers the
    // device id and pins the gateway key and id.
    HttpReply pair(const PairingLink &link, const QString &deviceName = QStringLiteral("test"));
    // Sends an arbitrary pairing body (for malformed-input tests).
    HttpReply postPairing(const QUrl &gateway, const QByteArray &body);

    // Opens the channel and answers hello with the device key; true when
    // "welcome" arrived.
    bool connectChannel();
    // Opens the channel and answers hello with a proof signed by `key`.
    void connectChannelWith(const EcPrivateKey &key, const QString &deviceId,
                            const QString &nonceOverride = {});
    void disconnectChannel();

    // Waits (with a deadline) for the next message of `type`; removes it.
    std::optional<QJsonObject> waitFor(const QString &type, int timeoutMs = 5000);
    // Waits until the gateway closes the socket; returns the close code.
    std::optional<int> waitForClose(int timeoutMs = 5000);

    // Verifies a received request JWS with the pinned gateway key.
    Result<VerifiedApprovalRequest> verify(const QString &requestJws) const;
    // Signs and sends a proof for a verified request.
    void approveWithTotp(const VerifiedApprovalRequest &request, const QString &code);
    void deny(const VerifiedApprovalRequest &request, const QString &reason = {});
    QByteArray signProof(const ApprovalProof &proof) const;
    void sendProof(const QByteArray &proofJws);
    void sendRaw(const QString &text);
    void sendBinary(const QByteArray &data);

    QString deviceId() const { return m_deviceId; }
    const EcPrivateKey &deviceKey() const { return m_deviceKey; }
    QWebSocket &socket() { return m_socket; }
    // Pins a TLS key for the next pairing request (set by pair() from the link).
    void pinSpki(const QString &pin) { m_spkiPin = pin; }
    QString closeReason() const { return m_closeReason; }

private:
    void onMessage(const QString &text);
    // Accepts the TLS peer only when its key matches the pinned SPKI hash.
    void checkPin(const QList<QSslError> &errors, const QSslCertificate &peer,
                  const std::function<void()> &ignore);

    const Clock &m_clock;
    EcPrivateKey m_deviceKey;
    std::optional<EcPublicKey> m_gatewayKey;
    QString m_gatewayId;
    QUrl m_gatewayUrl;
    QString m_spkiPin;
    QString m_deviceId;
    QNetworkAccessManager m_network;
    QWebSocket m_socket;
    QList<QJsonObject> m_inbox;
    std::optional<EcPrivateKey> m_authKey;
    QString m_authDeviceId;
    QString m_nonceOverride;
    std::optional<int> m_closeCode;
    QString m_closeReason;
};

} // namespace countersign::testing
