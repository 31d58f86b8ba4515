#include "protocol/messages/sarc.h"
#include "protocol/pairing/pairinglink.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include <QByteArrayView>
#include <QString>

using namespace countersign;

namespace {

// Every link parse() accepts must come back unchanged through toString():
// the gateway prints what the companion reads.
void checkLink(const QString &text)
{
    const auto link = PairingLink::parse(text);
    if (!link) {
        return;
    }
    const QString printed = link->toString();
    const auto reparsed = PairingLink::parse(printed);
    if (!reparsed || !(reparsed.value() == link.value()) || reparsed->toString() != printed) {
        std::abort();
    }
}

void checkSarc(QByteArrayView bytes)
{
    const auto sarc = Sarc::fromJsonBytes(bytes);
    if (!sarc) {
        return;
    }
    const auto reread = Sarc::fromJson(sarc->toJson());
    if (!reread || !(reread.value() == sarc.value())) {
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView bytes(data, static_cast<qsizetype>(size));
    const QString text = QString::fromUtf8(bytes);
    checkLink(text);
    // Random bytes rarely spell the scheme and host, so also try them as the
    // query of a link to reach the parameter parsing.
    checkLink(QStringLiteral("countersign://pair?") + text);
    checkSarc(bytes);
    return 0;
}
