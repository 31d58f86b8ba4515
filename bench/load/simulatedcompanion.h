#pragma once

#include "protocol/clock.h"
#include "protocol/jose/ecprivatekey.h"
#include "protocol/messages/approvalrequest.h"
#include "protocol/messages/channelmessage.h"
#include "protocol/otp/totp.h"

#include <QElapsedTimer>
#include <QHash>
#include <QMap>
#include <QObject>
#include <QSet>
#include <QWebSocket>

namespace countersign::load {

// What the gateway told a companion at pairing, and what it pins.
struct GatewayPin {
    QUrl channelUrl; // ws://127.0.0.1:PORT/companion/v1
    QString gatewayId;
    EcPublicKey gatewayKey;
};

// Counters every companion of a pool adds to; one pool thread owns them.
struct CompanionTally {
    int proofsSent = 0;
    int accepted = 0;     // approval.accepted received
    int resolved = 0;     // approval.resolved received
    int retriedCodes = 0; // a TOTP step refused, another one tried
    int badRequests = 0;  // a request JWS that did not verify with the pinned key
    int unexpectedCloses = 0;
    QMap<QString, int> errors; // gateway "error" messages by code
};

// One load client: a paired device with its own P-256 key that does the
// hello/auth handshake and approves every request it is sent with a valid
// TOTP code, at once. It plays the person too, so it is for load tests only.
class SimulatedCompanion : public QObject {
    Q_OBJECT

public:
    SimulatedCompanion(int index, EcPrivateKey deviceKey, Totp totp, const Clock &clock,
                       CompanionTally &tally, QObject *parent = nullptr);

    int index() const { return m_index; }
    const EcPrivateKey &deviceKey() const { return m_deviceKey; }
    bool isPaired() const { return !m_deviceId.isEmpty(); }
    bool isWelcomed() const { return m_welcomed; }

    void setPairing(const QString &deviceId, const GatewayPin &pin);
    // Opens the channel; welcomed() or failed() follows.
    void open();
    void close();

Q_SIGNALS:
    void welcomed(countersign::load::SimulatedCompanion *companion, qint64 handshakeNs);
    void failed(countersign::load::SimulatedCompanion *companion, const QString &why);
    // The gateway accepted a proof of this companion (approval.accepted):
    // the approval is resolved, with `approved` its outcome.
    void proofAccepted(const QString &requestId, bool approved);

private:
    void onMessage(const QString &text);
    void onDisconnected();
    void answerHello(const channel::Hello &hello);
    void approve(const QString &requestJws);
    void sendApproval(const QString &requestId);
    void onError(const channel::ErrorReply &error);
    // The next TOTP step this user has not spent, within one step of now;
    // nullopt when all three are spent (try again in the next period).
    std::optional<qint64> freeStep() const;
    void forget(const QString &requestId);

    const int m_index;
    EcPrivateKey m_deviceKey;
    Totp m_totp;
    const Clock &m_clock;
    CompanionTally &m_tally;
    QString m_deviceId;
    std::optional<GatewayPin> m_pin;
    QWebSocket m_socket;
    QElapsedTimer m_handshake;
    bool m_welcomed = false;
    bool m_closing = false;
    // Requests being answered, by id, until accepted or resolved.
    QHash<QString, VerifiedApprovalRequest> m_answering;
    QHash<QString, qint64> m_stepOf; // request id -> TOTP step its last proof used
    QHash<QString, int> m_triesOf;   // request id -> proofs sent for it
    QSet<qint64> m_spentSteps;       // the gateway accepts each step once per user
};

} // namespace countersign::load
