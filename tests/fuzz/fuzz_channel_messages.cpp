// Any bytes as one WebSocket text frame of the companion channel
// (docs/protocol.md 5): the gateway and the companion both read every frame
// with parseStrictJsonObject and parseChannelMessage, whatever its type
// (hello, auth, welcome, approval.*, passkeys, passkey.*, error and any type
// added later, since the variant is visited as a whole). Parsing must refuse
// or accept without crashing, a refusal must say why, and an accepted
// message must round-trip: its JSON and its frame text read back to an equal
// message of the same type, and no member it keeps is longer than the
// bounds channelmessage.h promises.
#include "protocol/messages/channelmessage.h"
#include "protocol/strictjson.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <variant>

#include <QByteArray>
#include <QString>

using namespace countersign;
using namespace countersign::channel;

namespace {

void require(bool condition)
{
    if (!condition)
        std::abort();
}

// The bounds a receiver relies on before it looks at a member's content.
struct BoundsCheck {
    void operator()(const Hello &m) const
    {
        require(m.gatewayId.size() <= maxIdLength);
        require(!m.nonce.isEmpty());
    }
    void operator()(const Auth &m) const
    {
        require(!m.deviceId.isEmpty() && m.deviceId.size() <= maxIdLength);
        require(!m.proof.isEmpty() && m.proof.size() <= maxJwsLength);
    }
    void operator()(const Welcome &m) const
    {
        require(m.deviceId.size() <= maxIdLength && m.user.size() <= maxIdLength);
        for (const QString &request : m.pending)
            require(request.size() <= maxJwsLength);
    }
    void operator()(const ApprovalRequested &m) const
    {
        require(!m.request.isEmpty() && m.request.size() <= maxJwsLength);
    }
    void operator()(const ApprovalRespond &m) const
    {
        require(!m.proof.isEmpty() && m.proof.size() <= maxJwsLength);
    }
    void operator()(const ApprovalAccepted &m) const
    {
        require(m.requestId.size() <= maxRequestIdLength);
        require(m.outcome == QLatin1String("approved") || m.outcome == QLatin1String("denied"));
    }
    void operator()(const ApprovalResolved &m) const
    {
        require(m.requestId.size() <= maxRequestIdLength);
        require(!m.outcome.isEmpty());
    }
    void operator()(const ApprovalWaiting &m) const
    {
        require(m.requestId.size() <= maxRequestIdLength);
    }
    void operator()(const Passkeys &) const {}
    void operator()(const PasskeyRegister &m) const
    {
        require(!m.name.isEmpty() && m.name.size() <= maxPasskeyNameLength);
    }
    void operator()(const PasskeyRemove &m) const
    {
        require(!m.credentialId.isEmpty() && m.credentialId.size() <= maxCredentialIdBytes);
    }
    void operator()(const ErrorReply &m) const { require(m.message.size() <= maxTextLength); }
    // Types added later: the round trip below still covers them.
    template <typename Other>
    void operator()(const Other &) const
    {
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView bytes(data, static_cast<qsizetype>(size));
    const auto json = parseStrictJsonObject(bytes, QStringLiteral("message"));
    if (!json) {
        require(!json.error().message.isEmpty());
        return 0;
    }
    const auto message = parseChannelMessage(json.value());
    if (!message) {
        require(!message.error().message.isEmpty());
        return 0;
    }
    std::visit(BoundsCheck{}, message.value());

    // What we write is what we read: through the JSON object and through the
    // text of a frame, as it travels.
    const QJsonObject written = toJson(message.value());
    require(written.value(QStringLiteral("type")).toString()
            == channelMessageType(message.value()));
    const auto again = parseChannelMessage(written);
    require(again.ok() && again.value() == message.value());
    const QString frame = toText(message.value());
    const auto reread = parseStrictJsonObject(frame.toUtf8(), QStringLiteral("frame"));
    require(reread.ok());
    const auto fromFrame = parseChannelMessage(reread.value());
    require(fromFrame.ok() && fromFrame.value() == message.value());
    require(toText(fromFrame.value()) == frame);
    return 0;
}
