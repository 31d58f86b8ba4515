#include "accessdecision.h"

#include "protocol/strictjson.h"

#include <cmath>

#include <QJsonArray>

namespace countersign::gateway {

namespace {

const QString reasonMember = QStringLiteral("reason");
const QString reasonUserMember = QStringLiteral("reason_user");
const QString reasonAdminMember = QStringLiteral("reason_admin");
const QString obligationsMember = QStringLiteral("obligations");
const QString countersignMember = QStringLiteral("countersign");
const QString forbidden = QStringLiteral("403");
constexpr auto stepUpSuffix = "-step-up";

AccessDecision malformed(const QString &why)
{
    return AccessDecision::deny(QStringLiteral("malformed PDP response: ") + why);
}

// "reason_user": {"403": "..."} in the spec's examples; take the text for
// 403, else any string member, so the person sees what the PDP wrote.
QString userReason(const QJsonObject &context)
{
    const QJsonValue user = context.value(reasonUserMember);
    if (user.isObject()) {
        const QJsonObject texts = user.toObject();
        if (texts.value(forbidden).isString())
            return texts.value(forbidden).toString();
        for (auto it = texts.constBegin(); it != texts.constEnd(); ++it) {
            if (it.value().isString())
                return it.value().toString();
        }
    }
    return {};
}

AccessDecision denial(const QJsonObject &context)
{
    QString text = userReason(context);
    if (text.isEmpty() && context.value(reasonMember).isString())
        text = context.value(reasonMember).toString();
    if (text.isEmpty())
        text = QStringLiteral("denied by the policy decision point");
    return AccessDecision::deny(text);
}

// Methods for a step-up: our own `countersign.methods` when present (exact
// names), else the obligation's amr_values mapped back, else both.
std::optional<QList<ApprovalMethod>> stepUpMethods(const QJsonObject &properties,
                                                   const QJsonObject &extension, QString *why)
{
    QList<ApprovalMethod> methods;
    auto add = [&methods](ApprovalMethod method) {
        if (!methods.contains(method))
            methods.append(method);
    };
    if (extension.contains(QStringLiteral("methods"))) {
        const QJsonValue list = extension.value(QStringLiteral("methods"));
        if (!list.isArray()) {
            *why = QStringLiteral("countersign.methods is not an array");
            return std::nullopt;
        }
        for (const QJsonValue &name : list.toArray()) {
            const auto method = approvalMethodFromName(name.toString());
            if (!name.isString() || !method) {
                *why = QStringLiteral("countersign.methods has an unknown method");
                return std::nullopt;
            }
            add(*method);
        }
    } else if (properties.contains(QStringLiteral("amr_values"))) {
        const QJsonValue list = properties.value(QStringLiteral("amr_values"));
        if (!list.isArray()) {
            *why = QStringLiteral("amr_values is not an array");
            return std::nullopt;
        }
        // AMR values we cannot produce are skipped; if none is left, no
        // method can satisfy the PDP and the obligation cannot be met.
        for (const QJsonValue &amr : list.toArray()) {
            if (const auto method = methodFromAmr(amr.toString()); amr.isString() && method)
                add(*method);
        }
    } else {
        add(ApprovalMethod::Passkey);
        add(ApprovalMethod::Totp);
    }
    if (methods.isEmpty()) {
        *why = QStringLiteral("the step-up asks for no method this gateway offers");
        return std::nullopt;
    }
    return methods;
}

} // namespace

QString amrValue(ApprovalMethod method)
{
    switch (method) {
    case ApprovalMethod::Passkey:
        return QStringLiteral("hwk");
    case ApprovalMethod::Totp:
        return QStringLiteral("otp");
    }
    return {};
}

std::optional<ApprovalMethod> methodFromAmr(QStringView amr)
{
    if (amr == u"hwk")
        return ApprovalMethod::Passkey;
    if (amr == u"otp")
        return ApprovalMethod::Totp;
    return std::nullopt;
}

AccessDecision AccessDecision::allow(QString ruleName)
{
    AccessDecision decision;
    decision.effect = Effect::Allow;
    decision.ruleName = std::move(ruleName);
    return decision;
}

AccessDecision AccessDecision::deny(QString reason, QString ruleName)
{
    AccessDecision decision;
    decision.effect = Effect::Deny;
    decision.reason = std::move(reason);
    decision.ruleName = std::move(ruleName);
    return decision;
}

AccessDecision AccessDecision::stepUp(QList<ApprovalMethod> methods,
                                      std::optional<std::chrono::seconds> timeout, QString reason,
                                      QString ruleName, bool userVerificationRequired)
{
    Q_ASSERT(!methods.isEmpty());
    AccessDecision decision;
    decision.effect = Effect::StepUp;
    decision.methods = std::move(methods);
    decision.timeout = timeout;
    decision.reason = std::move(reason);
    decision.ruleName = std::move(ruleName);
    decision.userVerificationRequired = userVerificationRequired;
    return decision;
}

QJsonObject AccessDecision::toAuthzenJson() const
{
    if (effect == Effect::Allow)
        return QJsonObject{{QStringLiteral("decision"), true}};

    QJsonObject context;
    if (!reason.isEmpty())
        context.insert(reasonUserMember, QJsonObject{{forbidden, reason}});
    if (effect == Effect::Deny) {
        context.insert(reasonMember, QStringLiteral("policy_denied"));
        context.insert(reasonAdminMember,
                       QJsonObject{{forbidden,
                                    ruleName.isEmpty() ? QStringLiteral("no rule matched")
                                                       : QStringLiteral("rule %1").arg(ruleName)}});
    } else {
        QJsonArray amr;
        QJsonArray names;
        for (const ApprovalMethod method : methods) {
            amr.append(amrValue(method));
            names.append(approvalMethodName(method));
        }
        const QString id = (ruleName.isEmpty() ? QStringLiteral("policy") : ruleName)
            + QLatin1StringView(stepUpSuffix);
        const QJsonObject obligation{
            {QStringLiteral("id"), id},
            {QStringLiteral("type"), QLatin1StringView(stepUpObligationType)},
            {QStringLiteral("properties"),
             QJsonObject{{QStringLiteral("acr_value"), QLatin1StringView(stepUpAcr)},
                         {QStringLiteral("amr_values"), amr}}}};
        context.insert(obligationsMember, QJsonArray{obligation});
        context.insert(reasonMember, QStringLiteral("approval_required"));
        QJsonObject extension{{QStringLiteral("methods"), names}};
        if (timeout)
            extension.insert(QStringLiteral("timeout"), static_cast<qint64>(timeout->count()));
        if (userVerificationRequired)
            extension.insert(QStringLiteral("user_verification"), QStringLiteral("required"));
        context.insert(countersignMember, extension);
    }
    return QJsonObject{{QStringLiteral("decision"), false}, {QStringLiteral("context"), context}};
}

AccessDecision AccessDecision::fromAuthzenResponse(QByteArrayView body)
{
    const auto object = parseStrictJsonObject(body, QStringLiteral("PDP response"));
    if (!object)
        return AccessDecision::deny(object.error().message);
    return fromAuthzenJson(object.value());
}

AccessDecision AccessDecision::fromAuthzenJson(const QJsonObject &response)
{
    const QJsonValue decision = response.value(QStringLiteral("decision"));
    if (!decision.isBool())
        return malformed(QStringLiteral("decision is missing or not a boolean"));
    const QJsonValue contextValue = response.value(QStringLiteral("context"));
    if (!contextValue.isUndefined() && !contextValue.isObject())
        return malformed(QStringLiteral("context is not an object"));
    const QJsonObject context = contextValue.toObject();

    const QJsonValue obligations = context.value(obligationsMember);
    if (!obligations.isUndefined() && !obligations.isArray())
        return malformed(QStringLiteral("context.obligations is not an array"));
    const QJsonArray list = obligations.toArray();
    if (list.isEmpty())
        return decision.toBool() ? AccessDecision::allow() : denial(context);
    // One step-up is all this gateway can perform; a second obligation of
    // any kind is one it would silently skip.
    if (list.size() != 1)
        return AccessDecision::deny(QStringLiteral("the PDP asks for more obligations than "
                                                   "this gateway can fulfil"));
    if (!list.first().isObject())
        return malformed(QStringLiteral("an obligation is not an object"));
    const QJsonObject obligation = list.first().toObject();
    const QJsonValue type = obligation.value(QStringLiteral("type"));
    const QJsonValue id = obligation.value(QStringLiteral("id"));
    if (!type.isString() || !id.isString())
        return malformed(QStringLiteral("an obligation lacks a string id or type"));
    if (type.toString() != QLatin1StringView(stepUpObligationType)) {
        return AccessDecision::deny(
            QStringLiteral("the PDP asks for an obligation this gateway cannot fulfil: %1")
                .arg(type.toString()));
    }
    const QJsonValue propertiesValue = obligation.value(QStringLiteral("properties"));
    if (!propertiesValue.isObject())
        return malformed(QStringLiteral("the step-up obligation has no properties object"));
    const QJsonObject properties = propertiesValue.toObject();
    if (properties.value(QStringLiteral("acr_value")).toString() != QLatin1StringView(stepUpAcr)) {
        return AccessDecision::deny(
            QStringLiteral("the PDP asks for an authentication level this gateway cannot "
                           "provide"));
    }
    const QJsonValue extensionValue = context.value(countersignMember);
    if (!extensionValue.isUndefined() && !extensionValue.isObject())
        return malformed(QStringLiteral("context.countersign is not an object"));
    const QJsonObject extension = extensionValue.toObject();

    QString why;
    const auto methods = stepUpMethods(properties, extension, &why);
    if (!methods)
        return AccessDecision::deny(why);

    std::optional<std::chrono::seconds> timeout;
    if (extension.contains(QStringLiteral("timeout"))) {
        const double seconds = extension.value(QStringLiteral("timeout")).toDouble(-1);
        if (std::floor(seconds) != seconds
            || seconds < static_cast<double>(minStepUpTimeout.count())
            || seconds > static_cast<double>(maxStepUpTimeout.count())) {
            return malformed(QStringLiteral("countersign.timeout must be whole seconds from %1 "
                                            "to %2")
                                 .arg(minStepUpTimeout.count())
                                 .arg(maxStepUpTimeout.count()));
        }
        timeout = std::chrono::seconds(static_cast<qint64>(seconds));
    }
    bool userVerificationRequired = false;
    if (extension.contains(QStringLiteral("user_verification"))) {
        const QString level = extension.value(QStringLiteral("user_verification")).toString();
        if (level != u"required" && level != u"preferred")
            return malformed(QStringLiteral("countersign.user_verification must be \"required\" "
                                            "or \"preferred\""));
        userVerificationRequired = level == u"required";
        // Fail closed: a demand for UV that no offered method can meet.
        if (userVerificationRequired && !methods->contains(ApprovalMethod::Passkey)) {
            return AccessDecision::deny(QStringLiteral(
                "the PDP requires user verification but allows no passkey approval"));
        }
    }
    QString rule = id.toString();
    if (rule.endsWith(QLatin1StringView(stepUpSuffix)))
        rule.chop(qsizetype(qstrlen(stepUpSuffix)));
    return AccessDecision::stepUp(*methods, timeout, userReason(context), rule,
                                  userVerificationRequired);
}

} // namespace countersign::gateway
