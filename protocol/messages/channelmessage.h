#pragma once

#include "protocol/jose/ecprivatekey.h"
#include "protocol/messages/channelerror.h"
#include "protocol/result.h"

#include <optional>
#include <variant>

#include <QJsonObject>
#include <QJsonValue>
#include <QStringList>

// The messages of the companion channel (docs/protocol.md 5.2, 5.3, 8): one
// struct each, built with toJson() and read with parseChannelMessage(). The
// gateway, the companion, the test companion and the load tool all speak
// through these, so a message changes here (and in docs/protocol.md) only.
//
// Envelopes are strict about what they define: a missing member, a member
// of the wrong type or an unknown "type" is refused. Members a message does
// not define are ignored, as 1.1 allows for envelopes (new optional members
// may appear within v1). Signed payloads inside (request, proof, auth JWS)
// are checked where they are verified, not here.
namespace countersign::channel {

constexpr int protocolVersion = 1;
// Bounds for what travels in an envelope (the channel's limit is 64 KiB).
constexpr qsizetype maxIdLength = 1024;       // gateway, device and user ids
constexpr qsizetype maxRequestIdLength = 128; // request ids (the gateway makes 22)
constexpr qsizetype maxJwsLength = 64 * 1024; // docs/protocol.md 1.2
constexpr qsizetype maxTextLength = 64 * 1024;
constexpr qsizetype nonceBytes = 32;
constexpr qsizetype maxPasskeyNameLength = 64;
constexpr qsizetype maxCredentialIdBytes = 1023;

// gateway -> companion, first (5.2).
struct Hello {
    static inline const QString typeName = QStringLiteral("hello");
    QString gatewayId;
    QString nonce; // base64url of 32 random bytes, as sent

    QJsonObject toJson() const;
    static Result<Hello> fromJson(const QJsonObject &json);
    friend bool operator==(const Hello &, const Hello &) = default;
};

// The signed payload of Auth::proof (JWS typ countersign-auth+jwt).
struct AuthClaims {
    static inline const QString jwsType = QStringLiteral("countersign-auth+jwt");
    QString nonce;     // the hello's, exactly as it arrived
    QString gatewayId; // the hello's
    qint64 issuedAt = 0;

    QJsonObject toJson() const;
    Result<QByteArray> sign(const EcPrivateKey &deviceKey) const;
};

// companion -> gateway, the answer to hello (5.2).
struct Auth {
    static inline const QString typeName = QStringLiteral("auth");
    QString deviceId;
    QString proof; // compact JWS of AuthClaims

    QJsonObject toJson() const;
    static Result<Auth> fromJson(const QJsonObject &json);
    friend bool operator==(const Auth &, const Auth &) = default;
};

// gateway -> companion, the end of the handshake (5.2, 8.1).
struct Welcome {
    static inline const QString typeName = QStringLiteral("welcome");
    QString deviceId;
    QString user;
    QStringList pending; // request JWSs still pending for the user
    // The passkey context of 8.1, undefined when the gateway offers none. Kept
    // as JSON: a malformed context costs the companion the passkey method,
    // not the connection, so PasskeyContext (app/) judges it.
    QJsonValue passkey = QJsonValue(QJsonValue::Undefined);
    // Since v1.2: how many are pending in all. `pending` holds those that fit
    // the 64 KiB message; the gateway sends the others as approval.requested
    // right after. Absent from a v1.0/v1.1 gateway (then all are in pending).
    std::optional<qint64> pendingTotal = std::nullopt;

    QJsonObject toJson() const;
    static Result<Welcome> fromJson(const QJsonObject &json);
    friend bool operator==(const Welcome &, const Welcome &) = default;
};

// gateway -> companion (5.3).
struct ApprovalRequested {
    static inline const QString typeName = QStringLiteral("approval.requested");
    QString request; // the request JWS

    QJsonObject toJson() const;
    static Result<ApprovalRequested> fromJson(const QJsonObject &json);
    friend bool operator==(const ApprovalRequested &, const ApprovalRequested &) = default;
};

// companion -> gateway (5.3).
struct ApprovalRespond {
    static inline const QString typeName = QStringLiteral("approval.respond");
    QString proof; // the proof JWS (section 4)

    QJsonObject toJson() const;
    static Result<ApprovalRespond> fromJson(const QJsonObject &json);
    friend bool operator==(const ApprovalRespond &, const ApprovalRespond &) = default;
};

// gateway -> companion: the proof just sent was taken (5.3).
struct ApprovalAccepted {
    static inline const QString typeName = QStringLiteral("approval.accepted");
    QString requestId;
    QString outcome; // "approved" or "denied"

    QJsonObject toJson() const;
    static Result<ApprovalAccepted> fromJson(const QJsonObject &json);
    friend bool operator==(const ApprovalAccepted &, const ApprovalAccepted &) = default;
};

// gateway -> every device of the user (5.3).
struct ApprovalResolved {
    static inline const QString typeName = QStringLiteral("approval.resolved");
    QString requestId;
    QString outcome; // "approved", "denied", "expired" or "cancelled"
    QString reason;  // optional; empty when absent

    QJsonObject toJson() const;
    static Result<ApprovalResolved> fromJson(const QJsonObject &json);
    friend bool operator==(const ApprovalResolved &, const ApprovalResolved &) = default;
};

// gateway -> every device of the request's user when the agent behind a
// pending request stops or starts waiting for it again (5.3): while it is
// not waiting, an approval runs nothing until the agent calls again.
struct ApprovalWaiting {
    static inline const QString typeName = QStringLiteral("approval.waiting");
    QString requestId;
    bool agentWaiting = true;

    QJsonObject toJson() const;
    static Result<ApprovalWaiting> fromJson(const QJsonObject &json);
    friend bool operator==(const ApprovalWaiting &, const ApprovalWaiting &) = default;
};

// gateway -> every device of the user (5.3, since v1.2): the person denied
// requests of this agent so often that its new ones are held (not shown)
// until `until`; `heldCount` of them so far. One notice, updated, instead of
// one dialog per request (push fatigue).
struct AgentHeld {
    static inline const QString typeName = QStringLiteral("agent.held");
    QString agent;
    qint64 heldCount = 0;
    qint64 until = 0; // seconds since the epoch

    QJsonObject toJson() const;
    static Result<AgentHeld> fromJson(const QJsonObject &json);
    friend bool operator==(const AgentHeld &, const AgentHeld &) = default;
};

// What changed, in a passkeys message (8.2, since v1.3), so that every
// device of the user can tell the person a key was added or removed.
struct PasskeyChange {
    QString action; // "added" or "removed"
    QString name;   // the key's name; 1..64 printable characters
    QString device; // the name of the device that made the change
    friend bool operator==(const PasskeyChange &, const PasskeyChange &) = default;
};

// The factor that proves a passkey change (8.2, since v1.3): a fresh TOTP
// code of the user ("factor": {"method": "totp", "code": "123456"}).
struct PasskeyFactor {
    QString totpCode; // 6 or 8 digits
    friend bool operator==(const PasskeyFactor &, const PasskeyFactor &) = default;
};

// gateway -> every device of the user after a passkey change (5.3, 8.1).
struct Passkeys {
    static inline const QString typeName = QStringLiteral("passkeys");
    QJsonValue passkey; // the context of 8.1; judged by the companion, as in Welcome
    std::optional<PasskeyChange> change{}; // absent from gateways before v1.3

    QJsonObject toJson() const;
    static Result<Passkeys> fromJson(const QJsonObject &json);
    friend bool operator==(const Passkeys &, const Passkeys &) = default;
};

// companion -> gateway (8.2).
struct PasskeyRegister {
    static inline const QString typeName = QStringLiteral("passkey.register");
    QString name;                          // 1..64 printable characters, not only spaces
    QJsonObject credential;                // checked by the gateway's registration verifier
    std::optional<PasskeyFactor> factor{}; // required by gateways since v1.3

    QJsonObject toJson() const;
    static Result<PasskeyRegister> fromJson(const QJsonObject &json);
    friend bool operator==(const PasskeyRegister &, const PasskeyRegister &) = default;
};

// companion -> gateway (8.2).
struct PasskeyRemove {
    static inline const QString typeName = QStringLiteral("passkey.remove");
    QByteArray credentialId;               // raw bytes; base64url on the wire
    std::optional<PasskeyFactor> factor{}; // required by gateways since v1.3

    QJsonObject toJson() const;
    static Result<PasskeyRemove> fromJson(const QJsonObject &json);
    friend bool operator==(const PasskeyRemove &, const PasskeyRemove &) = default;
};

// gateway -> companion: a refusal (4.1, 5.3, 8.2).
struct ErrorReply {
    static inline const QString typeName = QStringLiteral("error");
    ChannelErrorCode code = ChannelErrorCode::MalformedMessage;
    QString message;   // for people; may contain anything, display it with care
    QString requestId; // the request a refused proof named; empty when none
    std::optional<int> attemptsLeft;

    QJsonObject toJson() const;
    static Result<ErrorReply> fromJson(const QJsonObject &json);
    friend bool operator==(const ErrorReply &, const ErrorReply &) = default;
};

using ChannelMessage = std::variant<Hello, Auth, Welcome, ApprovalRequested, ApprovalRespond,
                                    ApprovalAccepted, ApprovalResolved, ApprovalWaiting, Passkeys,
                                    PasskeyRegister, PasskeyRemove, ErrorReply, AgentHeld>;

// Reads one message of either direction from a JSON object (parse the bytes
// with parseStrictJsonObject first: duplicate members are refused there). An
// unknown or missing "type" is ErrorCode::UnsupportedMessage; a known type
// with a missing or mistyped member is MissingField, InvalidField or
// UnsupportedVersion, with a message naming the member ("welcome.pending").
Result<ChannelMessage> parseChannelMessage(const QJsonObject &message);

// The "type" of any message.
QString channelMessageType(const ChannelMessage &message);
QJsonObject toJson(const ChannelMessage &message);
QString toText(const ChannelMessage &message);

// One text frame: compact JSON.
QString toText(const QJsonObject &json);
template <typename Message>
QString toText(const Message &message)
{
    return toText(message.toJson());
}

} // namespace countersign::channel
