#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

// `countersign-gateway policy check|eval` as a person trying a policy runs
// them: the real binary, the example scenario files, exit codes, stdout and
// stderr.
class TestGatewayPolicyCli : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void checkSummarisesAValidPolicy();
    void checkNamesTheMistake();
    void evalPrintsTheDecision();
    void evalWithoutConfigHasNoAttributes();
    void evalAnswersABatch();
    void evalRefusesABadRequest();
    void refusesBadInvocations_data();
    void refusesBadInvocations();

private:
    struct Run {
        int exitCode = -1;
        QByteArray out;
        QString err;
    };
    Run run(const QStringList &arguments);
    QString write(const QString &name, const QByteArray &content);

    std::unique_ptr<QTemporaryDir> m_dir;
};

namespace {

QString todo(const char *file)
{
    return QStringLiteral(COUNTERSIGN_EXAMPLE_POLICIES "/todo/%1").arg(QLatin1StringView(file));
}

// Morty (an editor) completes his own todo: allowed by change-own-todos.
const QByteArray mortysOwnTodo =
    R"({"subject":{"type":"user","id":"CiRmZDE2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs"},)"
    R"("action":{"name":"can_update_todo"},"resource":{"type":"todo","id":"t-1",)"
    R"("properties":{"ownerID":"morty@the-citadel.com"}}})";

} // namespace

void TestGatewayPolicyCli::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

TestGatewayPolicyCli::Run TestGatewayPolicyCli::run(const QStringList &arguments)
{
    QProcess process;
    process.start(QStringLiteral(COUNTERSIGN_GATEWAY_BINARY),
                  QStringList{QStringLiteral("policy")} + arguments);
    Run result;
    if (!process.waitForFinished(30000))
        return result;
    result.exitCode = process.exitCode();
    result.out = process.readAllStandardOutput();
    result.err = QString::fromUtf8(process.readAllStandardError());
    return result;
}

QString TestGatewayPolicyCli::write(const QString &name, const QByteArray &content)
{
    const QString path = m_dir->filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return {};
    file.write(content);
    return path;
}

void TestGatewayPolicyCli::checkSummarisesAValidPolicy()
{
    const Run result = run({QStringLiteral("check"), todo("policy.yaml")});
    QCOMPARE(result.exitCode, 0);
    QVERIFY2(result.out.contains("5 rules, valid"), result.out.constData());
    QVERIFY2(result.out.contains("change-own-todos -> allow (3 conditions)"),
             result.out.constData());
}

void TestGatewayPolicyCli::checkNamesTheMistake()
{
    const QString path = write(QStringLiteral("bad.yaml"),
                               "rules:\n  - name: a\n    when:\n      - subject.attributes.roles "
                               "contains admin\n    effect: allow\n");
    const Run result = run({QStringLiteral("check"), path});
    QCOMPARE(result.exitCode, 1);
    QVERIFY(result.out.isEmpty());
    QVERIFY2(result.err.contains(path
                                 + QStringLiteral(":4: rules[0].when[0]: \"admin\": unknown "
                                                  "root")),
             qPrintable(result.err));
}

void TestGatewayPolicyCli::evalPrintsTheDecision()
{
    const QString request = write(QStringLiteral("request.json"), mortysOwnTodo);
    const Run result = run({QStringLiteral("eval"), todo("policy.yaml"), request,
                            QStringLiteral("--config"), todo("gateway.yaml")});
    QCOMPARE(result.exitCode, 0);
    const QJsonObject response = QJsonDocument::fromJson(result.out).object();
    QCOMPARE(response, (QJsonObject{{QStringLiteral("decision"), true}}));
    QVERIFY2(result.err.contains(QStringLiteral("change-own-todos")), qPrintable(result.err));
}

// Without --config no subject has attributes: the same request is denied.
void TestGatewayPolicyCli::evalWithoutConfigHasNoAttributes()
{
    const QString request = write(QStringLiteral("request.json"), mortysOwnTodo);
    const Run result = run({QStringLiteral("eval"), todo("policy.yaml"), request});
    QCOMPARE(result.exitCode, 0);
    const QJsonObject response = QJsonDocument::fromJson(result.out).object();
    QCOMPARE(response.value(QStringLiteral("decision")), QJsonValue(false));
    QVERIFY2(result.err.contains(QStringLiteral("no rule matched")), qPrintable(result.err));
}

void TestGatewayPolicyCli::evalAnswersABatch()
{
    // The Todo scenario's own batch: Morty may complete his todo, not Rick's.
    const QString request = write(
        QStringLiteral("batch.json"),
        R"({"subject":{"type":"user","id":"CiRmZDE2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs"},)"
        R"("action":{"name":"can_update_todo"},"evaluations":[)"
        R"({"resource":{"type":"todo","id":"1","properties":{"ownerID":"rick@the-citadel.com"}}},)"
        R"({"resource":{"type":"todo","id":"2","properties":{"ownerID":"morty@the-citadel.com"}}}]})");
    const Run result = run({QStringLiteral("eval"), todo("policy.yaml"), request,
                            QStringLiteral("--config"), todo("gateway.yaml")});
    QCOMPARE(result.exitCode, 0);
    const QJsonArray answers =
        QJsonDocument::fromJson(result.out).object().value(QStringLiteral("evaluations")).toArray();
    QCOMPARE(answers.size(), 2);
    QCOMPARE(answers.at(0)[QStringLiteral("decision")], QJsonValue(false));
    QCOMPARE(answers.at(1)[QStringLiteral("decision")], QJsonValue(true));
}

void TestGatewayPolicyCli::evalRefusesABadRequest()
{
    const QString request =
        write(QStringLiteral("request.json"), R"({"subject":{"type":"user"},"action":{}})");
    const Run result = run({QStringLiteral("eval"), todo("policy.yaml"), request});
    QCOMPARE(result.exitCode, 1);
    QVERIFY2(result.err.contains(QStringLiteral("subject.id")), qPrintable(result.err));

    const QString duplicate =
        write(QStringLiteral("duplicate.json"), R"({"subject":{"type":"user","id":"a","id":"b"}})");
    const Run twice = run({QStringLiteral("eval"), todo("policy.yaml"), duplicate});
    QCOMPARE(twice.exitCode, 1);
    QVERIFY2(twice.err.contains(QStringLiteral("names a member twice")), qPrintable(twice.err));
}

void TestGatewayPolicyCli::refusesBadInvocations_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message");
    QTest::newRow("nothing") << QStringList{} << 2 << QStringLiteral("say 'policy check FILE'");
    QTest::newRow("unknown action") << QStringList{QStringLiteral("lint"), todo("policy.yaml")} << 2
                                    << QStringLiteral("say 'policy check FILE'");
    QTest::newRow("check without file")
        << QStringList{QStringLiteral("check")} << 2 << QStringLiteral("say 'policy check FILE'");
    QTest::newRow("eval without request")
        << QStringList{QStringLiteral("eval"), todo("policy.yaml")} << 2
        << QStringLiteral("REQUEST.json");
    QTest::newRow("missing policy")
        << QStringList{QStringLiteral("check"), QStringLiteral("/nonexistent/policy.yaml")} << 1
        << QStringLiteral("/nonexistent/policy.yaml");
    QTest::newRow("missing request")
        << QStringList{QStringLiteral("eval"), todo("policy.yaml"),
                       QStringLiteral("/nonexistent/request.json")}
        << 1 << QStringLiteral("/nonexistent/request.json: cannot be read");
    QTest::newRow("broken config")
        << QStringList{QStringLiteral("eval"), todo("policy.yaml"), todo("policy.yaml"),
                       QStringLiteral("--config"), todo("policy.yaml")}
        << 1 << QStringLiteral("rules: unknown key");
}

void TestGatewayPolicyCli::refusesBadInvocations()
{
    QFETCH(QStringList, arguments);
    QFETCH(int, exitCode);
    QFETCH(QString, message);
    const Run result = run(arguments);
    QCOMPARE(result.exitCode, exitCode);
    QVERIFY2(result.err.contains(message), qPrintable(result.err));
}

QTEST_GUILESS_MAIN(TestGatewayPolicyCli)
#include "test_gateway_policycli.moc"
