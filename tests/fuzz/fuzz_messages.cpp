// Any bytes as the JSON payload of an approval request, an approval proof or
// a SARC: parsing must refuse or accept without crashing, and an accepted
// message must round-trip through toJson() to an equal value.
#include "protocol/messages/approvalproof.h"
#include "protocol/messages/approvalrequest.h"
#include "protocol/messages/sarc.h"

#include <cstddef>
#include <cstdint>

#include <QJsonDocument>

using namespace countersign;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    if (const auto sarc = Sarc::fromJsonBytes(input); sarc.ok()) {
        if (!(Sarc::fromJson(sarc->toJson()).value() == sarc.value()))
            __builtin_trap();
    }
    const QJsonObject json = QJsonDocument::fromJson(input).object();
    if (const auto request = ApprovalRequest::fromJson(json); request.ok()) {
        if (!(ApprovalRequest::fromJson(request->toJson()).value() == request.value()))
            __builtin_trap();
    }
    if (const auto proof = ApprovalProof::fromJson(json); proof.ok()) {
        if (!(ApprovalProof::fromJson(proof->toJson()).value() == proof.value()))
            __builtin_trap();
    }
    return 0;
}
