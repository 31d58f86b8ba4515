#include "approvalrequest.h"

#include "protocol/base64url.h"
#include "protocol/jose/jws.h"
#include "protocol/messages/bindingcode.h"
#include "protocol/messages/jsonfields.h"
#include "protocol/strictjson.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>

namespace countersign {

namespace {

constexpr qsizetype maxIdLength = 128;
constexpr qsizetype maxGatewayIdLength = 256;
constexpr qsizetype minNonceBytes = 16;
constexpr qsizetype maxNonceBytes = 64;

bool isBase64UrlIdentifier(QStringView text)
{
    for (const QChar c : text) {
        if (!(c.isLetterOrNumber() && c.unicode() < 0x80) && c != u'-' && c != u'_')
            return false;
    }
    return true;
}

Result<QList<ApprovalMethod>> readMethods(const QJsonObject &json)
{
    const QJsonValue value = json.value(QStringLiteral("methods"));
    if (value.isUndefined())
        return makeError(ErrorCode::MissingField, QStringLiteral("request.methods is missing"));
    if (!value.isArray() || value.toArray().isEmpty() || value.toArray().size() > 4) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("request.methods must be a list of 1 to 4 methods"));
    }
    QList<ApprovalMethod> methods;
    for (const QJsonValue &entry : value.toArray()) {
        const auto method = approvalMethodFromName(entry.toString());
        if (!entry.isString() || !method) {
            return makeError(ErrorCode::InvalidField,
                             QStringLiteral("request.methods has an unknown method"));
        }
        if (methods.contains(*method)) {
            return makeError(ErrorCode::InvalidField,
                             QStringLiteral("request.methods lists a method twice"));
        }
        methods.append(*method);
    }
    return methods;
}

} // namespace

QJsonObject ApprovalRequest::toJson() const
{
    QJsonArray methodNames;
    for (const ApprovalMethod method : methods)
        methodNames.append(approvalMethodName(method));
    return QJsonObject{
        {QStringLiteral("v"), protocolVersion},
        {QStringLiteral("request_id"), requestId},
        {QStringLiteral("gateway_id"), gatewayId},
        {QStringLiteral("sarc"), sarc.toJson()},
        {QStringLiteral("nonce"), QString::fromLatin1(base64UrlEncode(nonce))},
        {QStringLiteral("iat"), issuedAt},
        {QStringLiteral("exp"), expiresAt},
        {QStringLiteral("methods"), methodNames},
    };
}

Result<ApprovalRequest> ApprovalRequest::fromJson(const QJsonObject &json)
{
    const JsonFields fields(json, QStringLiteral("request"));
    if (auto known = fields.checkOnly({QStringLiteral("v"), QStringLiteral("request_id"),
                                       QStringLiteral("gateway_id"), QStringLiteral("sarc"),
                                       QStringLiteral("nonce"), QStringLiteral("iat"),
                                       QStringLiteral("exp"), QStringLiteral("methods")});
        !known) {
        return known.error();
    }
    if (auto version = fields.checkVersion(protocolVersion); !version)
        return version.error();

    ApprovalRequest request;
    auto requestId = fields.requiredString(QStringLiteral("request_id"), maxIdLength);
    if (!requestId)
        return requestId.error();
    if (!isBase64UrlIdentifier(requestId.value())) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("request.request_id must use only A-Z a-z 0-9 - _"));
    }
    request.requestId = std::move(requestId).value();

    auto gatewayId = fields.requiredString(QStringLiteral("gateway_id"), maxGatewayIdLength);
    if (!gatewayId)
        return gatewayId.error();
    request.gatewayId = std::move(gatewayId).value();

    const auto sarcJson = fields.requiredObject(QStringLiteral("sarc"));
    if (!sarcJson)
        return sarcJson.error();
    auto sarc = Sarc::fromJson(sarcJson.value());
    if (!sarc)
        return sarc.error();
    request.sarc = std::move(sarc).value();

    auto nonce = fields.requiredBase64Url(QStringLiteral("nonce"), minNonceBytes, maxNonceBytes);
    if (!nonce)
        return nonce.error();
    request.nonce = std::move(nonce).value();

    const auto issuedAt = fields.requiredInteger(QStringLiteral("iat"));
    if (!issuedAt)
        return issuedAt.error();
    const auto expiresAt = fields.requiredInteger(QStringLiteral("exp"));
    if (!expiresAt)
        return expiresAt.error();
    if (expiresAt.value() <= issuedAt.value()
        || expiresAt.value() - issuedAt.value() > maxLifetimeSeconds) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("request.exp must be after request.iat and at most "
                                        "%1 seconds later")
                             .arg(maxLifetimeSeconds));
    }
    request.issuedAt = issuedAt.value();
    request.expiresAt = expiresAt.value();

    auto methods = readMethods(json);
    if (!methods)
        return methods.error();
    request.methods = std::move(methods).value();
    return request;
}

Result<QByteArray> ApprovalRequest::sign(const EcPrivateKey &gatewayKey) const
{
    const QByteArray payload = QJsonDocument(toJson()).toJson(QJsonDocument::Compact);
    return Jws::sign(payload, gatewayKey, jwsType, gatewayKey.publicKey().thumbprint());
}

QByteArray approvalRequestHash(QByteArrayView compact)
{
    return QCryptographicHash::hash(compact, QCryptographicHash::Sha256);
}

Result<VerifiedApprovalRequest> verifyApprovalRequest(QByteArrayView compact,
                                                      const EcPublicKey &gatewayKey,
                                                      const QString &expectedGatewayId,
                                                      const Clock &clock)
{
    const auto jws = Jws::verify(compact, gatewayKey, ApprovalRequest::jwsType);
    if (!jws)
        return jws.error();
    const auto payload = parseStrictJsonObject(jws->payload, QStringLiteral("request payload"));
    if (!payload)
        return payload.error();
    auto request = ApprovalRequest::fromJson(payload.value());
    if (!request)
        return request.error();
    if (request->gatewayId != expectedGatewayId) {
        return makeError(ErrorCode::InvalidField,
                         QStringLiteral("request is for gateway \"%1\", not \"%2\"")
                             .arg(request->gatewayId, expectedGatewayId));
    }
    const qint64 now = clock.secondsSinceEpoch();
    if (now >= request->expiresAt) {
        return makeError(ErrorCode::Expired,
                         QStringLiteral("request %1 expired %2 s ago")
                             .arg(request->requestId)
                             .arg(now - request->expiresAt));
    }
    if (request->issuedAt > now + ApprovalRequest::clockSkewSeconds) {
        return makeError(ErrorCode::NotYetValid,
                         QStringLiteral("request %1 is dated %2 s in the future; check this "
                                        "computer's clock")
                             .arg(request->requestId)
                             .arg(request->issuedAt - now));
    }
    VerifiedApprovalRequest verified;
    verified.request = std::move(request).value();
    verified.compact = compact.toByteArray();
    verified.requestHash = approvalRequestHash(compact);
    verified.bindingCode = bindingCodeForRequestHash(verified.requestHash);
    return verified;
}

} // namespace countersign
