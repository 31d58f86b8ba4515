#include "tests/support/agenthelpers.h"

#include "tests/support/testcompanion.h"

#include <QJsonArray>
#include <QProcess>
#include <QTest>

namespace countersign::testing {

std::unique_ptr<agent::McpHttpClient>
initializedMcpClient(const QUrl &endpoint, const QByteArray &agentKey,
                     const agent::McpHttpClient::Options &options)
{
    auto mcp = std::make_unique<agent::McpHttpClient>(endpoint, agentKey, options);
    bool initialized = false;
    mcp->initialize([&](const agent::McpHttpClient::Response &response) {
        initialized = response.ok();
        if (!initialized)
            qWarning() << "initialize:" << response.transportError << response.error;
    });
    if (!QTest::qWaitFor([&] { return initialized; }, 10000))
        return nullptr;
    return mcp;
}

bool mcpRoundTrip(agent::McpHttpClient &client)
{
    bool answered = false;
    client.request(QStringLiteral("ping"), QJsonObject{},
                   [&](const agent::McpHttpClient::Response &response) {
                       answered = response.ok();
                       if (!answered)
                           qWarning() << "ping:" << response.transportError << response.error;
                   });
    return QTest::qWaitFor([&] { return answered; }, 10000);
}

QString toolText(const QJsonObject &result)
{
    return result.value(QStringLiteral("content"))
        .toArray()
        .at(0)
        .toObject()
        .value(QStringLiteral("text"))
        .toString();
}

QString approvalOutcome(const QJsonObject &result)
{
    return result.value(QStringLiteral("_meta"))
        .toObject()
        .value(QStringLiteral("io.github.countersign/approval"))
        .toObject()
        .value(QStringLiteral("outcome"))
        .toString();
}

std::optional<VerifiedApprovalRequest> nextApprovalRequest(TestCompanion &companion, int timeoutMs)
{
    const auto message = companion.waitFor(QStringLiteral("approval.requested"), timeoutMs);
    if (!message)
        return std::nullopt;
    auto verified = companion.verify(message->value(QStringLiteral("request")).toString());
    if (!verified)
        return std::nullopt;
    return std::move(verified).value();
}

int finishProgram(QProcess &process, int timeoutMs)
{
    if (!QTest::qWaitFor([&] { return process.state() == QProcess::NotRunning; }, timeoutMs)) {
        process.kill();
        process.waitForFinished();
        return -1;
    }
    return process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
}

} // namespace countersign::testing
