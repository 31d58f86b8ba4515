#include "directorytestkit.h"
#include "protocol/clock.h"

#include <QJsonArray>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;
using namespace countersign::testing;

// The real countersign-directory program over stdio, as the gateway runs it:
// JSON-RPC lines in, JSON-RPC lines out, tokens in params._meta.
class TestDirectoryStdio : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void initializeNegotiatesTheProtocolVersion();
    void listsTheFourToolsWithSchemas();
    void readToolsNeedNoToken();
    void unknownToolIsInvalidParams();
    void disableWithoutTokenIsRefusedAndTheFileIsUnchanged();
    void disableWithATokenForBobIsRefused();
    void disableWithAValidTokenDisablesAlice();
    void replayedTokenIsRefused();
    void enableWithAValidTokenEnablesAlice();
    void malformedMessagesGetErrorsAndTheServerKeepsServing();
    void replayAfterRestartIsRefused();
    void badUsersFileStopsTheServerWithAClearError();

private:
    void startServer();
    QJsonObject call(const QJsonObject &message);
    QJsonObject sendRaw(const QByteArray &line);

    QTemporaryDir m_dir;
    QString m_users;
    QString m_jwks;
    std::optional<EcPrivateKey> m_key;
    SystemClock m_clock;
    QProcess m_server;
    QByteArray m_usedToken;
    int m_nextId = 100;
};

void TestDirectoryStdio::startServer()
{
    m_server.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_server.start(QStringLiteral(COUNTERSIGN_DIRECTORY_BINARY),
                   {QStringLiteral("--users"), m_users, QStringLiteral("--seed"),
                    QStringLiteral("--stdio"), QStringLiteral("--jwks-file"), m_jwks,
                    QStringLiteral("--issuer"), directoryIssuer, QStringLiteral("--audience"),
                    directoryAudience});
    QVERIFY(m_server.waitForStarted());
}

void TestDirectoryStdio::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_users = m_dir.filePath(QStringLiteral("users.json"));
    m_jwks = m_dir.filePath(QStringLiteral("jwks.json"));
    m_key = EcPrivateKey::generate().value();
    QVERIFY(writeJwksFile(m_jwks, m_key->publicKey()));
    startServer();
}

void TestDirectoryStdio::cleanupTestCase()
{
    // End of stdin is how a stdio client says goodbye.
    m_server.closeWriteChannel();
    QVERIFY(m_server.waitForFinished(10'000));
    QCOMPARE(m_server.exitStatus(), QProcess::NormalExit);
    QCOMPARE(m_server.exitCode(), 0);
}

QJsonObject TestDirectoryStdio::sendRaw(const QByteArray &line)
{
    m_server.write(line + '\n');
    return QJsonDocument::fromJson(readLine(m_server)).object();
}

QJsonObject TestDirectoryStdio::call(const QJsonObject &message)
{
    return sendRaw(QJsonDocument(message).toJson(QJsonDocument::Compact));
}

void TestDirectoryStdio::initializeNegotiatesTheProtocolVersion()
{
    for (const QString &version : {QStringLiteral("2025-11-25"), QStringLiteral("2025-06-18"),
                                   QStringLiteral("2025-03-26")}) {
        const QJsonObject response =
            call(request(1, QStringLiteral("initialize"), initializeParams(version)));
        const QJsonObject result = response.value(QStringLiteral("result")).toObject();
        QCOMPARE(result.value(QStringLiteral("protocolVersion")).toString(), version);
        QVERIFY(result.value(QStringLiteral("capabilities")).toObject().contains(u"tools"));
        QCOMPARE(result.value(QStringLiteral("serverInfo"))
                     .toObject()
                     .value(QStringLiteral("name"))
                     .toString(),
                 QStringLiteral("countersign-directory"));
    }
    const QJsonObject old = call(
        request(2, QStringLiteral("initialize"), initializeParams(QStringLiteral("2024-11-05"))));
    QCOMPARE(old.value(QStringLiteral("result"))
                 .toObject()
                 .value(QStringLiteral("protocolVersion"))
                 .toString(),
             QStringLiteral("2025-11-25"));
    // A notification gets no answer: the next line answers the ping.
    m_server.write(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"
                   "\n");
    QCOMPARE(call(request(3, QStringLiteral("ping"))).value(QStringLiteral("id")).toInt(), 3);
}

void TestDirectoryStdio::listsTheFourToolsWithSchemas()
{
    const QJsonObject response = call(request(4, QStringLiteral("tools/list")));
    QSet<QString> names;
    for (const QJsonValue &tool :
         response.value(QStringLiteral("result")).toObject().value(u"tools").toArray()) {
        names.insert(tool.toObject().value(QStringLiteral("name")).toString());
        QCOMPARE(tool.toObject()
                     .value(QStringLiteral("inputSchema"))
                     .toObject()
                     .value(QStringLiteral("type"))
                     .toString(),
                 QStringLiteral("object"));
    }
    QCOMPARE(names,
             (QSet<QString>{QStringLiteral("list_users"), QStringLiteral("get_user"),
                            QStringLiteral("disable_user"), QStringLiteral("enable_user")}));
}

void TestDirectoryStdio::readToolsNeedNoToken()
{
    const QJsonObject list = call(toolCall(5, QStringLiteral("list_users"), {}));
    QVERIFY(!isToolError(list));
    QCOMPARE(list.value(QStringLiteral("result"))
                 .toObject()
                 .value(QStringLiteral("structuredContent"))
                 .toObject()
                 .value(QStringLiteral("users"))
                 .toArray()
                 .size(),
             3);
    const QJsonObject alice =
        call(toolCall(6, QStringLiteral("get_user"), userArguments(QStringLiteral("alice"))));
    QVERIFY(!isToolError(alice));
    QVERIFY(resultText(alice).contains(u"Alice Liddell"));
    const QJsonObject nobody =
        call(toolCall(7, QStringLiteral("get_user"), userArguments(QStringLiteral("mallory"))));
    QVERIFY(isToolError(nobody));
    QVERIFY(resultText(nobody).contains(u"no user \"mallory\""));
}

void TestDirectoryStdio::unknownToolIsInvalidParams()
{
    const QJsonObject response = call(toolCall(8, QStringLiteral("delete_user"), {}));
    QCOMPARE(response.value(QStringLiteral("error")).toObject().value(u"code").toInt(), -32602);
    QCOMPARE(response.value(QStringLiteral("id")).toInt(), 8);
}

void TestDirectoryStdio::disableWithoutTokenIsRefusedAndTheFileIsUnchanged()
{
    const QJsonObject before = readJsonFile(m_users);
    const QJsonObject response =
        call(toolCall(9, QStringLiteral("disable_user"), userArguments(QStringLiteral("alice"))));
    QVERIFY(isToolError(response));
    QVERIFY2(resultText(response).contains(elevatedTokenMetaKey), qPrintable(resultText(response)));
    QCOMPARE(readJsonFile(m_users), before);
}

void TestDirectoryStdio::disableWithATokenForBobIsRefused()
{
    const QByteArray token = mintToken(*m_key, m_clock, QStringLiteral("disable_user"),
                                       userArguments(QStringLiteral("bob")));
    const QJsonObject response = call(toolCall(10, QStringLiteral("disable_user"),
                                               userArguments(QStringLiteral("alice")), token));
    QVERIFY(isToolError(response));
    QVERIFY(resultText(response).contains(u"arguments differ"));
    QVERIFY(!isDisabledInFile(m_users, QStringLiteral("alice")));
    QVERIFY(!isDisabledInFile(m_users, QStringLiteral("bob")));
}

void TestDirectoryStdio::disableWithAValidTokenDisablesAlice()
{
    m_usedToken = mintToken(*m_key, m_clock, QStringLiteral("disable_user"),
                            userArguments(QStringLiteral("alice")));
    const QJsonObject response = call(toolCall(
        11, QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")), m_usedToken));
    QVERIFY2(!isToolError(response), qPrintable(resultText(response)));
    QVERIFY(isDisabledInFile(m_users, QStringLiteral("alice")));
    QVERIFY(!isDisabledInFile(m_users, QStringLiteral("bob")));
}

void TestDirectoryStdio::replayedTokenIsRefused()
{
    QVERIFY(!m_usedToken.isEmpty());
    const QJsonObject response = call(toolCall(
        12, QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")), m_usedToken));
    QVERIFY(isToolError(response));
    QVERIFY(resultText(response).contains(u"already used"));
}

void TestDirectoryStdio::enableWithAValidTokenEnablesAlice()
{
    const QByteArray token = mintToken(*m_key, m_clock, QStringLiteral("enable_user"),
                                       userArguments(QStringLiteral("alice")));
    const QJsonObject response = call(
        toolCall(13, QStringLiteral("enable_user"), userArguments(QStringLiteral("alice")), token));
    QVERIFY2(!isToolError(response), qPrintable(resultText(response)));
    QVERIFY(!isDisabledInFile(m_users, QStringLiteral("alice")));
}

void TestDirectoryStdio::malformedMessagesGetErrorsAndTheServerKeepsServing()
{
    const auto code = [](const QJsonObject &response) {
        return response.value(QStringLiteral("error")).toObject().value(u"code").toInt();
    };
    QCOMPARE(code(sendRaw("{not json")), -32700);
    QCOMPARE(code(sendRaw(R"({"jsonrpc":"2.0","id":20})")), -32600);
    QCOMPARE(code(sendRaw(R"({"jsonrpc":"1.0","id":21,"method":"ping"})")), -32600);
    QCOMPARE(code(sendRaw("[]")), -32600);
    QCOMPARE(code(sendRaw(R"({"jsonrpc":"2.0","id":22,"method":"resources/list"})")), -32601);
    const QJsonObject invalidId = sendRaw(R"({"jsonrpc":"2.0","id":23,"method":"ping"})");
    QCOMPARE(invalidId.value(QStringLiteral("id")).toInt(), 23);
    QVERIFY(invalidId.contains(u"result"));
}

void TestDirectoryStdio::replayAfterRestartIsRefused()
{
    m_server.closeWriteChannel();
    QVERIFY(m_server.waitForFinished(10'000));
    QCOMPARE(m_server.exitCode(), 0);
    startServer();
    const QJsonObject response = call(toolCall(
        30, QStringLiteral("disable_user"), userArguments(QStringLiteral("alice")), m_usedToken));
    QVERIFY(isToolError(response));
    QVERIFY(resultText(response).contains(u"already used"));
    QVERIFY(!isDisabledInFile(m_users, QStringLiteral("alice")));
}

void TestDirectoryStdio::badUsersFileStopsTheServerWithAClearError()
{
    const QString bad = m_dir.filePath(QStringLiteral("bad-users.json"));
    QFile file(bad);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(R"({"users":[{"id":"a"}]})");
    file.close();
    QProcess process;
    process.start(QStringLiteral(COUNTERSIGN_DIRECTORY_BINARY),
                  {QStringLiteral("--users"), bad, QStringLiteral("--stdio"),
                   QStringLiteral("--jwks-file"), m_jwks, QStringLiteral("--issuer"),
                   directoryIssuer, QStringLiteral("--audience"), directoryAudience});
    QVERIFY(process.waitForFinished(10'000));
    QCOMPARE(process.exitCode(), 1);
    const QString err = QString::fromUtf8(process.readAllStandardError());
    QVERIFY2(err.contains(u"users[0].name is missing") && err.contains(bad), qPrintable(err));
    QVERIFY(process.readAllStandardOutput().isEmpty());
}

QTEST_GUILESS_MAIN(TestDirectoryStdio)
#include "test_directory_stdio.moc"
