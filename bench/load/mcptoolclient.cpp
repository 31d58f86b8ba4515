#include "mcptoolclient.h"

#include <array>

#include <QJsonDocument>

namespace countersign::load {

namespace {

// The users countersign-directory --seed creates.
const std::array<QString, 3> seededUsers{QStringLiteral("alice"), QStringLiteral("bob"),
                                         QStringLiteral("carol")};

agent::McpHttpClient::Options clientOptions()
{
    agent::McpHttpClient::Options options;
    options.clientName = QStringLiteral("bench_mcp_proxy");
    // get_user never needs a person, so the client need not offer to ask one.
    options.declareElicitation = false;
    return options;
}

QString describe(const agent::McpHttpClient::Response &response)
{
    if (!response.transportError.isEmpty())
        return response.transportError;
    if (!response.error.isEmpty())
        return QString::fromUtf8(QJsonDocument(response.error).toJson(QJsonDocument::Compact));
    return {};
}

} // namespace

McpToolClient::McpToolClient(const QUrl &endpoint, const QByteArray &bearer)
    : m_client(endpoint, bearer, clientOptions())
{
}

void McpToolClient::initialize(Done done)
{
    m_client.initialize([done = std::move(done)](const agent::McpHttpClient::Response &response) {
        done(describe(response));
    });
}

void McpToolClient::call(qint64 sequence, Done done)
{
    const QString user = seededUsers.at(static_cast<size_t>(sequence % seededUsers.size()));
    const QJsonObject params{
        {QStringLiteral("name"), QStringLiteral("get_user")},
        {QStringLiteral("arguments"), QJsonObject{{QStringLiteral("user"), user}}},
    };
    m_client.request(
        QStringLiteral("tools/call"), params,
        [user, done = std::move(done)](const agent::McpHttpClient::Response &response) {
            if (!response.ok()) {
                done(describe(response));
                return;
            }
            const QJsonObject found =
                response.result.value(QStringLiteral("structuredContent")).toObject();
            if (response.result.value(QStringLiteral("isError")).toBool()
                || found.value(QStringLiteral("id")).toString() != user) {
                done(QStringLiteral("get_user %1 answered %2")
                         .arg(user,
                              QString::fromUtf8(
                                  QJsonDocument(response.result).toJson(QJsonDocument::Compact))
                                  .left(300)));
                return;
            }
            done({});
        });
}

} // namespace countersign::load
