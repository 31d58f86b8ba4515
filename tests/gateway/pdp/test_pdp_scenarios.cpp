#include "gateway/config/gatewayconfig.h"
#include "gateway/pdp/authzenmodel.h"
#include "gateway/pdp/entitydirectory.h"
#include "gateway/pdp/policy.h"
#include "gateway/pdp/policydecisionpoint.h"

#include <functional>
#include <memory>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;

// The OpenID AuthZEN working group's interop scenarios, decided in process by
// the policies in examples/policies/<scenario>/ with the users and resources
// of the scenario's gateway.yaml, read by the real loaders and put into an
// EntityDirectory as the runtime does. The expected decisions are the working
// group's own files (tests/interop/authzen/, unchanged copies).
class TestPolicyScenarios : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void todoEvaluations();
    void todoBatches();
    void apiGatewayEvaluations();
    void searchSubjects();
    void searchResources();
    void searchActions();
};

namespace {

// The scenario's gateway.yaml and policy as `serve` reads them.
std::unique_ptr<PolicyDecisionPoint> loadScenario(const QString &name)
{
    const QString path = QStringLiteral(COUNTERSIGN_EXAMPLE_POLICIES "/%1/gateway.yaml").arg(name);
    auto config = GatewayConfig::load(path);
    if (!config) {
        qWarning("%s", qPrintable(config.error().message));
        return nullptr;
    }
    const auto section = config->reserved.value(QStringLiteral("policy"));
    auto policy = Policy::fromConfigSection(section.yaml, section.line, config->sourcePath);
    if (!policy) {
        qWarning("%s", qPrintable(policy.error().message));
        return nullptr;
    }
    auto pdp = std::make_unique<PolicyDecisionPoint>(policy.value());
    pdp->setDirectory(
        std::make_shared<const EntityDirectory>(entityDirectoryFromConfig(config.value())));
    return pdp;
}

QJsonObject fixture(const QString &file)
{
    QFile input(QStringLiteral(COUNTERSIGN_AUTHZEN_FIXTURES "/%1").arg(file));
    if (!input.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(input.readAll()).object();
}

QString describe(const QJsonObject &request)
{
    return QString::fromUtf8(QJsonDocument(request).toJson(QJsonDocument::Compact));
}

// Every single evaluation of a decisions file; returns how many.
int checkEvaluations(const PolicyDecisionPoint &pdp, const QJsonObject &file)
{
    int count = 0;
    for (const QJsonValue &entry : file.value(QStringLiteral("evaluation")).toArray()) {
        const QJsonObject request = entry[QStringLiteral("request")].toObject();
        auto parsed = AccessRequest::fromJson(request);
        if (!parsed) {
            QTest::qFail(qPrintable(parsed.error().message), __FILE__, __LINE__);
            return -1;
        }
        const bool expected = entry[QStringLiteral("expected")].toBool();
        const AccessDecision decision = pdp.evaluate(parsed.value());
        if (decision.isAllow() != expected) {
            QTest::qFail(qPrintable(QStringLiteral("%1: expected %2, the policy says %3 (%4)")
                                        .arg(describe(request))
                                        .arg(expected)
                                        .arg(decision.isAllow())
                                        .arg(decision.ruleName)),
                         __FILE__, __LINE__);
            return -1;
        }
        ++count;
    }
    return count;
}

// The candidates a search evaluates and what it found, as "type/id" or name.
QStringList allowed(const PolicyDecisionPoint &pdp, const QList<AccessRequest> &candidates,
                    const std::function<QString(const AccessRequest &)> &name)
{
    QStringList found;
    for (const AccessRequest &candidate : candidates) {
        if (pdp.evaluate(candidate).isAllow())
            found.append(name(candidate));
    }
    return found;
}

AuthzenEntity entityOf(const QJsonValue &value)
{
    return {value[QStringLiteral("type")].toString(), value[QStringLiteral("id")].toString(), {}};
}

} // namespace

void TestPolicyScenarios::todoEvaluations()
{
    const auto pdp = loadScenario(QStringLiteral("todo"));
    QVERIFY(pdp);
    const QJsonObject file =
        fixture(QStringLiteral("authzen-todo-backend-decisions-authorization-api-1_0-02.json"));
    const int count = checkEvaluations(*pdp, file);
    QCOMPARE(count, 40);
}

// Each item of a batch with the batch's defaults applied (here: subject and
// action at the top, the resource per item).
void TestPolicyScenarios::todoBatches()
{
    const auto pdp = loadScenario(QStringLiteral("todo"));
    QVERIFY(pdp);
    const QJsonObject file =
        fixture(QStringLiteral("authzen-todo-backend-decisions-authorization-api-1_0-02.json"));
    const QJsonArray batches = file.value(QStringLiteral("evaluations")).toArray();
    QCOMPARE(batches.size(), 3);
    int items = 0;
    for (const QJsonValue &entry : batches) {
        const QJsonObject request = entry[QStringLiteral("request")].toObject();
        auto batch = AccessEvaluationsRequest::fromJson(request);
        QVERIFY2(batch.ok(), qPrintable(describe(request)));
        const QJsonArray expected = entry[QStringLiteral("expected")].toArray();
        QCOMPARE(qsizetype(batch->evaluations.size()), expected.size());
        for (std::size_t i = 0; i < batch->evaluations.size(); ++i) {
            const auto &item = batch->evaluations[i];
            QVERIFY2(item.ok(), qPrintable(describe(request)));
            const bool want = expected.at(qsizetype(i))[QStringLiteral("decision")].toBool();
            QVERIFY2(pdp->evaluate(item.value()).isAllow() == want,
                     qPrintable(QStringLiteral("item %1 of %2").arg(i).arg(describe(request))));
            ++items;
        }
    }
    QCOMPARE(items, 6);
}

void TestPolicyScenarios::apiGatewayEvaluations()
{
    const auto pdp = loadScenario(QStringLiteral("api-gateway"));
    QVERIFY(pdp);
    const int count =
        checkEvaluations(*pdp, fixture(QStringLiteral("authzen-api-gateways-decisions.json")));
    QCOMPARE(count, 25);
}

namespace {

// One search scenario: for each case of the fixture, the candidates the
// directory gives (candidatesFor), the permitted ones (nameOf each), against
// the names the working group expects (results[].<resultKey>), in order.
void checkSearch(const QString &fixtureName, const QString &resultKey,
                 const std::function<QList<AccessRequest>(const PolicyDecisionPoint &,
                                                          const QJsonObject &)> &candidatesFor,
                 QString (*nameOf)(const AccessRequest &))
{
    const auto pdp = loadScenario(QStringLiteral("search"));
    QVERIFY(pdp);
    const QJsonArray cases = fixture(fixtureName).value(QStringLiteral("evaluation")).toArray();
    QVERIFY(!cases.isEmpty());
    for (const QJsonValue &entry : cases) {
        const QJsonObject request = entry[QStringLiteral("request")].toObject();
        QStringList expected;
        for (const QJsonValue &result :
             entry[QStringLiteral("expected")][QStringLiteral("results")].toArray()) {
            expected.append(result[resultKey].toString());
        }
        const QStringList found = allowed(*pdp, candidatesFor(*pdp, request), nameOf);
        QVERIFY2(found == expected,
                 qPrintable(QStringLiteral("%1: expected %2, found %3")
                                .arg(describe(request), expected.join(u','), found.join(u','))));
    }
}

AccessRequest searchCandidate(const QJsonObject &request)
{
    AccessRequest candidate;
    candidate.subject = entityOf(request[QStringLiteral("subject")]);
    candidate.action = {request[QStringLiteral("action")][QStringLiteral("name")].toString(), {}};
    candidate.resource = entityOf(request[QStringLiteral("resource")]);
    return candidate;
}

} // namespace

// Subject search: every directory subject of the asked type is a candidate.
void TestPolicyScenarios::searchSubjects()
{
    checkSearch(
        QStringLiteral("authzen-search-demo-subject-results.json"), QStringLiteral("id"),
        [](const PolicyDecisionPoint &pdp, const QJsonObject &request) {
            QList<AccessRequest> candidates;
            const QString type =
                request[QStringLiteral("subject")][QStringLiteral("type")].toString();
            for (const DirectoryEntity *subject : pdp.directory().subjects(type)) {
                AccessRequest candidate = searchCandidate(request);
                candidate.subject = {subject->type, subject->id, {}};
                candidates.append(candidate);
            }
            return candidates;
        },
        [](const AccessRequest &r) { return r.subject.id; });
}

// Resource search: every directory resource of the asked type.
void TestPolicyScenarios::searchResources()
{
    checkSearch(
        QStringLiteral("authzen-search-demo-resource-results.json"), QStringLiteral("id"),
        [](const PolicyDecisionPoint &pdp, const QJsonObject &request) {
            QList<AccessRequest> candidates;
            const QString type =
                request[QStringLiteral("resource")][QStringLiteral("type")].toString();
            for (const DirectoryEntity *resource : pdp.directory().resources(type)) {
                AccessRequest candidate = searchCandidate(request);
                candidate.resource = {resource->type, resource->id, {}};
                candidates.append(candidate);
            }
            return candidates;
        },
        [](const AccessRequest &r) { return r.resource.id; });
}

// Action search: the directory's actions (gateway.yaml actions:).
void TestPolicyScenarios::searchActions()
{
    checkSearch(
        QStringLiteral("authzen-search-demo-action-results.json"), QStringLiteral("name"),
        [](const PolicyDecisionPoint &pdp, const QJsonObject &request) {
            QList<AccessRequest> candidates;
            for (const QString &action : pdp.directory().actions()) {
                AccessRequest candidate = searchCandidate(request);
                candidate.action = {action, {}};
                candidates.append(candidate);
            }
            return candidates;
        },
        [](const AccessRequest &r) { return r.action.name; });
}

QTEST_GUILESS_MAIN(TestPolicyScenarios)
#include "test_pdp_scenarios.moc"
