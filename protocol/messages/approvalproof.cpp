#include "approvalproof.h"

#include "protocol/base64url.h"
#include "protocol/jose/jws.h"
#include "protocol/messages/deviceproof.h"
#include "protocol/messages/jsonfields.h"
#include "protocol/strictjson.h"

#include <QJsonDocument>

namespace countersign {

namespace {

constexpr qsizetype maxIdLength = 128;
constexpr qsizetype requestHashBytes = 32;

Status validateTotpEvidence(const JsonFields &fields)
{
    if (auto known = fields.checkOnly({QStringLiteral("code")}); !known)
        return known.error();
    const auto code = fields.requiredString(QStringLiteral("code"), 8);
    if (!code)
        return code.error();
    const bool digitsOnly =
        std::all_of(code->cbegin(), code->cend(), [](QChar c) { return c >= u'0' && c <= u'9'; });
    if (code->size() < 6 || !digitsOnly) {
        return makeError(ErrorCode::InvalidField,
                         fields.pathOf(QStringLiteral("code"))
                             + QStringLiteral(" must be 6 to 8 digits"));
    }
    return Ok{};
}

Status validatePasskeyEvidence(const JsonFields &fields)
{
    if (auto known =
            fields.checkOnly({QStringLiteral("credential_id"), QStringLiteral("authenticator_data"),
                              QStringLiteral("client_data_json"), QStringLiteral("signature")});
        !known) {
        return known.error();
    }
    // Sizes from WebAuthn: credential ids are at most 1023 bytes,
    // authenticator data at least 37; ES256 DER signatures at most 72.
    struct Member {
        const char *name;
        qsizetype minBytes;
        qsizetype maxBytes;
    };
    for (const Member &member :
         {Member{"credential_id", 1, 1023}, Member{"authenticator_data", 37, 1024},
          Member{"client_data_json", 2, 4096}, Member{"signature", 8, 128}}) {
        const auto value = fields.requiredBase64Url(QString::fromLatin1(member.name),
                                                    member.minBytes, member.maxBytes);
        if (!value)
            return value.error();
    }
    return Ok{};
}

} // namespace

Status ApprovalEvidence::validate(ApprovalMethod method, const QJsonObject &evidence)
{
    const JsonFields fields(evidence, QStringLiteral("proof.evidence"));
    switch (method) {
    case ApprovalMethod::Totp:
        return validateTotpEvidence(fields);
    case ApprovalMethod::Passkey:
        return validatePasskeyEvidence(fields);
    }
    return makeError(ErrorCode::InvalidField, QStringLiteral("proof.method is unknown"));
}

QJsonObject ApprovalProof::toJson() const
{
    QJsonObject json{
        {QStringLiteral("v"), protocolVersion},
        {QStringLiteral("request_id"), requestId},
        {QStringLiteral("request_hash"), QString::fromLatin1(base64UrlEncode(requestHash))},
        {QStringLiteral("decision"),
         decision == Decision::Approve ? QStringLiteral("approve") : QStringLiteral("deny")},
        {QStringLiteral("iat"), issuedAt},
    };
    if (method)
        json.insert(QStringLiteral("method"), approvalMethodName(*method));
    if (!evidence.isEmpty())
        json.insert(QStringLiteral("evidence"), evidence);
    if (!reason.isEmpty())
        json.insert(QStringLiteral("reason"), reason);
    return json;
}

Result<ApprovalProof> ApprovalProof::fromJson(const QJsonObject &json)
{
    const JsonFields fields(json, QStringLiteral("proof"));
    // The version first: another version may define other members, and
    // "unsupported version" is the answer that tells the sender what to do.
    if (auto version = fields.checkVersion(protocolVersion); !version)
        return version.error();
    if (auto known = fields.checkOnly({QStringLiteral("v"), QStringLiteral("request_id"),
                                       QStringLiteral("request_hash"), QStringLiteral("decision"),
                                       QStringLiteral("method"), QStringLiteral("evidence"),
                                       QStringLiteral("reason"), QStringLiteral("iat")});
        !known) {
        return known.error();
    }

    ApprovalProof proof;
    auto requestId = fields.requiredString(QStringLiteral("request_id"), maxIdLength);
    if (!requestId)
        return requestId.error();
    proof.requestId = std::move(requestId).value();

    auto requestHash = fields.requiredBase64Url(QStringLiteral("request_hash"), requestHashBytes,
                                                requestHashBytes);
    if (!requestHash)
        return requestHash.error();
    proof.requestHash = std::move(requestHash).value();

    const auto decision = fields.requiredString(QStringLiteral("decision"), 16);
    if (!decision)
        return decision.error();
    if (decision.value() == u"approve") {
        proof.decision = Decision::Approve;
    } else if (decision.value() == u"deny") {
        proof.decision = Decision::Deny;
    } else {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("proof.decision must be \"approve\" or \"deny\""));
    }

    const auto issuedAt = fields.requiredInteger(QStringLiteral("iat"));
    if (!issuedAt)
        return issuedAt.error();
    proof.issuedAt = issuedAt.value();

    auto reason = fields.optionalString(QStringLiteral("reason"), maxReasonLength);
    if (!reason)
        return reason.error();
    proof.reason = std::move(reason).value();

    if (proof.decision == Decision::Deny) {
        // A denial needs no evidence: refusing is always allowed.
        if (json.contains(QStringLiteral("method")) || json.contains(QStringLiteral("evidence"))) {
            return makeError(ErrorCode::InvalidField,
                             QStringLiteral("a denial carries no proof.method or proof.evidence"));
        }
        return proof;
    }

    if (!proof.reason.isEmpty()) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("proof.reason is only for denials"));
    }
    const auto methodName = fields.requiredString(QStringLiteral("method"), 16);
    if (!methodName)
        return methodName.error();
    proof.method = approvalMethodFromName(methodName.value());
    if (!proof.method) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("proof.method \"%1\" is unknown").arg(methodName.value()));
    }
    auto evidence = fields.requiredObject(QStringLiteral("evidence"));
    if (!evidence)
        return evidence.error();
    if (auto valid = ApprovalEvidence::validate(*proof.method, evidence.value()); !valid)
        return valid.error();
    proof.evidence = std::move(evidence).value();
    return proof;
}

Result<QByteArray> ApprovalProof::sign(const EcPrivateKey &deviceKey) const
{
    const QByteArray payload = QJsonDocument(toJson()).toJson(QJsonDocument::Compact);
    return Jws::sign(payload, deviceKey, jwsType, deviceKey.publicKey().thumbprint());
}

Result<ApprovalProof> verifyApprovalProof(QByteArrayView compact, const EcPublicKey &deviceKey)
{
    const auto jws = verifyDeviceJws(compact, deviceKey, ApprovalProof::jwsType);
    if (!jws)
        return jws.error();
    const auto payload = parseStrictJsonObject(jws->payload, QStringLiteral("proof payload"));
    if (!payload)
        return payload.error();
    return ApprovalProof::fromJson(payload.value());
}

} // namespace countersign
