// Any bytes as JSON: canonicalization refuses or succeeds, never crashes, and
// what it produces is a fixed point (canonical JSON read back canonicalizes
// to the same bytes) unless it was refused for a number a double cannot hold.
#include "protocol/canonicaljson.h"

#include <cstddef>
#include <cstdint>

#include <QJsonArray>
#include <QJsonDocument>

using namespace countersign;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    const QJsonDocument document = QJsonDocument::fromJson(input);
    if (document.isNull())
        return 0;
    const QJsonValue value =
        document.isObject() ? QJsonValue(document.object()) : QJsonValue(document.array());
    const auto canonical = canonicalJson(value);
    if (!canonical.ok())
        return 0;
    const QJsonDocument again = QJsonDocument::fromJson(canonical.value());
    if (again.isNull())
        __builtin_trap(); // we wrote something that is not JSON
    const auto twice =
        canonicalJson(again.isObject() ? QJsonValue(again.object()) : QJsonValue(again.array()));
    if (twice.ok() && twice.value() != canonical.value())
        __builtin_trap();
    return 0;
}
