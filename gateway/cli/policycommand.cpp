#include "gateway/cli/commandcontext.h"
#include "gateway/pdp/authzenmodel.h"
#include "gateway/pdp/entitydirectory.h"
#include "gateway/pdp/policy.h"
#include "gateway/pdp/policydecisionpoint.h"
#include "protocol/strictjson.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

namespace countersign::gateway {

namespace {

// The largest request file `policy eval` reads: a generous AuthZEN body.
constexpr qint64 maxRequestBytes = 1024 * 1024;

int check(CommandContext &context, const QString &path)
{
    auto policy = Policy::load(path);
    if (!policy)
        return context.fail(policy.error().message);
    QTextStream &out = context.out();
    const QList<PolicyRule> &rules = policy->rules();
    out << path << ": " << rules.size() << (rules.size() == 1 ? " rule" : " rules") << ", valid\n";
    for (const PolicyRule &rule : rules) {
        const char *effect = rule.effect == PolicyRule::Effect::Allow ? "allow"
            : rule.effect == PolicyRule::Effect::StepUp               ? "step_up"
                                                                      : "deny";
        out << "  line " << rule.line << ": " << rule.name << " -> " << effect;
        if (!rule.when.empty())
            out << " (" << rule.when.size()
                << (rule.when.size() == 1 ? " condition)" : " conditions)");
        out << '\n';
    }
    if (!policy->userSubjectTypes().isEmpty()) {
        out << "  subjects looked up among users: "
            << policy->userSubjectTypes().join(QStringLiteral(", ")) << '\n';
    }
    out.flush();
    return CommandContext::Success;
}

int eval(CommandContext &context, const QString &policyPath, const QString &requestPath,
         bool withConfig)
{
    auto policy = Policy::load(policyPath);
    if (!policy)
        return context.fail(policy.error().message);
    PolicyDecisionPoint pdp(policy.value());
    if (withConfig) {
        // Only the users, resources and actions are read: nothing is served
        // and the data directory is not touched.
        auto config = context.loadConfig();
        if (!config)
            return context.exitCode();
        pdp.setDirectory(
            std::make_shared<const EntityDirectory>(entityDirectoryFromConfig(config.value())));
    }
    QFile file(requestPath);
    if (!file.open(QIODevice::ReadOnly))
        return context.fail(
            QStringLiteral("%1: cannot be read: %2").arg(requestPath, file.errorString()));
    const QByteArray body = file.read(maxRequestBytes + 1);
    if (body.size() > maxRequestBytes)
        return context.fail(QStringLiteral("%1: larger than 1 MiB").arg(requestPath));
    auto object = parseStrictJsonObject(body, requestPath);
    if (!object)
        return context.fail(object.error().message);
    QTextStream &out = context.out();
    // A batch (with "evaluations") is answered as POST /access/v1/evaluations
    // would be, anything else as POST /access/v1/evaluation.
    if (object->contains(QStringLiteral("evaluations"))) {
        auto batch = AccessEvaluationsRequest::fromJson(object.value());
        if (!batch)
            return context.fail(QStringLiteral("%1: %2").arg(requestPath, batch.error().message));
        QJsonArray answers;
        for (const Result<AccessRequest> &item : batch->evaluations) {
            if (!item) {
                answers.append(
                    QJsonObject{{QStringLiteral("decision"), false},
                                {QStringLiteral("context"),
                                 QJsonObject{{QStringLiteral("error"), item.error().message}}}});
                continue;
            }
            const AccessDecision decision = pdp.evaluate(item.value());
            answers.append(decision.toAuthzenJson());
            if ((batch->semantic == EvaluationsSemantic::DenyOnFirstDeny && !decision.isAllow())
                || (batch->semantic == EvaluationsSemantic::PermitOnFirstPermit
                    && decision.isAllow())) {
                break;
            }
        }
        out << QJsonDocument(QJsonObject{{QStringLiteral("evaluations"), answers}})
                   .toJson(QJsonDocument::Indented);
        out.flush();
        return CommandContext::Success;
    }
    auto request = AccessRequest::fromJson(object.value());
    if (!request)
        return context.fail(QStringLiteral("%1: %2").arg(requestPath, request.error().message));
    const AccessDecision decision = pdp.evaluate(request.value());
    out << QJsonDocument(decision.toAuthzenJson()).toJson(QJsonDocument::Indented);
    out.flush();
    // stdout stays the response alone (for jq and diff); which rule decided
    // goes to stderr for the person trying the policy.
    QTextStream note(stderr);
    if (!decision.ruleName.isEmpty())
        note << "decided by rule " << decision.ruleName << '\n';
    else
        note << "no rule matched: denied by default\n";
    return CommandContext::Success;
}

} // namespace

int runPolicy(const QStringList &arguments)
{
    QString named;
    for (qsizetype i = 1; i < arguments.size(); ++i) {
        const QString &argument = arguments.at(i);
        if (argument == u"-c" || argument == u"--config" || argument == u"--data-dir") {
            ++i;
            continue;
        }
        if (!argument.startsWith(u'-')) {
            named = argument;
            break;
        }
    }
    const bool checking = named == u"check";
    const bool evaluating = named == u"eval";
    CommandContext context(
        checking         ? QStringLiteral("countersign-gateway policy check")
            : evaluating ? QStringLiteral("countersign-gateway policy eval")
                         : QStringLiteral("countersign-gateway policy"),
        checking ? QStringLiteral("Check a policy file without serving: prints its rules, or "
                                  "the first mistake with its file and line (exit 1).")
            : evaluating
            ? QStringLiteral("Decide an AuthZEN request (a JSON file, single or batch) with a "
                             "policy file and print the response the gateway would give. "
                             "--config supplies the users:, resources: and actions: that rules "
                             "read as subject.attributes.* and resource.attributes.*.")
            : QStringLiteral("Try a policy without serving:\n"
                             "  policy check FILE\n"
                             "  policy eval FILE REQUEST.json [--config gateway.yaml]"));
    context.parser().addPositionalArgument(QStringLiteral("action"),
                                           QStringLiteral("check or eval"));
    if (!context.parse(arguments))
        return context.exitCode();
    const QStringList positional = context.parser().positionalArguments();
    if (checking && positional.size() == 2)
        return check(context, positional.at(1));
    if (evaluating && positional.size() == 3) {
        return eval(context, positional.at(1), positional.at(2),
                    context.parser().isSet(QStringLiteral("config")));
    }
    return context.usage(QStringLiteral("say 'policy check FILE' or 'policy eval FILE "
                                        "REQUEST.json [--config gateway.yaml]'"));
}

} // namespace countersign::gateway
