// Any text as the requestState an MCP client echoes back (it comes from the
// network): opening must refuse it without crashing, and nothing this
// process did not seal may open. The same bytes, XORed over a genuine
// state, must be refused whenever they change a single bit.
#include "gateway/mcp/requeststate.h"
#include "protocol/base64url.h"

#include <cstddef>
#include <cstdint>

#include <QByteArrayView>
#include <QString>

using namespace countersign;
using namespace countersign::gateway;

namespace {

constexpr qint64 Now = 1'800'000'000;

RequestState genuineState()
{
    RequestState state;
    state.approvalId = QStringLiteral("apr_3f9c1d");
    state.agent = QStringLiteral("claude-desktop");
    state.user = QStringLiteral("alice");
    state.method = QStringLiteral("tools/call");
    state.callDigest = requestStateCallDigest(QStringLiteral("deploy"), {});
    state.expiresAt = Now + 120;
    return state;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const RequestStateSealer sealer = RequestStateSealer::ephemeral();
    static const QByteArray genuine =
        base64UrlDecode(sealer.seal(genuineState()).toLatin1()).value();
    const QByteArrayView input(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));

    // As it arrives in JSON (UTF-8), and as Latin-1 so every byte is a char.
    if (sealer.open(QString::fromUtf8(input), Now).ok()
        || sealer.open(QString::fromLatin1(input), Now).ok()) {
        __builtin_trap();
    }

    QByteArray altered = genuine;
    bool changed = false;
    for (qsizetype i = 0; i < altered.size() && i < input.size(); ++i) {
        altered[i] = static_cast<char>(altered[i] ^ input[i]);
        changed = changed || input[i] != 0;
    }
    const auto opened = sealer.open(QString::fromLatin1(base64UrlEncode(altered)), Now);
    if (opened.ok() == changed)
        __builtin_trap();
    if (opened.ok() && opened->approvalId != genuineState().approvalId)
        __builtin_trap();
    return 0;
}
