#include "authzenclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkReply>

namespace countersign::load {

namespace {

QString toolFor(int index)
{
    static const std::array<QString, 3> tools{
        QStringLiteral("get_user"), QStringLiteral("disable_user"), QStringLiteral("delete_user")};
    return tools.at(static_cast<size_t>(index % 3));
}

// What McpProxy puts to the policy for a tools/call, minus the session
// context the demo policy does not read.
QJsonObject subject()
{
    return QJsonObject{{QStringLiteral("type"), QStringLiteral("user")},
                       {QStringLiteral("id"), QStringLiteral("alice@example.com")},
                       {QStringLiteral("properties"),
                        QJsonObject{{QStringLiteral("agent"), QStringLiteral("bench-agent")}}}};
}

QJsonObject actionAndResource(const QString &tool)
{
    return QJsonObject{
        {QStringLiteral("action"), QJsonObject{{QStringLiteral("name"), tool}}},
        {QStringLiteral("resource"),
         QJsonObject{
             {QStringLiteral("type"), QStringLiteral("tool")},
             {QStringLiteral("id"), QString(QStringLiteral("directory/") + tool)},
             {QStringLiteral("properties"),
              QJsonObject{{QStringLiteral("arguments"),
                           QJsonObject{{QStringLiteral("user"), QStringLiteral("bob")}}}}}}},
    };
}

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

} // namespace

AuthzenClient::AuthzenClient(const QUrl &gateway, const QByteArray &adminToken, int batch)
    : m_url(gateway)
    , m_authorization("Bearer " + adminToken)
    , m_batch(batch)
{
    m_url.setPath(batch == 1 ? QStringLiteral("/access/v1/evaluation")
                             : QStringLiteral("/access/v1/evaluations"));
    for (int i = 0; i < 3; ++i) {
        QJsonObject body = actionAndResource(toolFor(i));
        body.insert(QStringLiteral("subject"), subject());
        m_singleBodies.at(static_cast<size_t>(i)) = compact(body);
    }
    // Boxcarring: the subject is the batch's default, each item brings its
    // own action and resource.
    QJsonArray items;
    for (int i = 0; i < batch; ++i)
        items.append(actionAndResource(toolFor(i)));
    m_batchBody = compact(QJsonObject{{QStringLiteral("subject"), subject()},
                                      {QStringLiteral("evaluations"), items}});
}

void AuthzenClient::call(qint64 sequence, Done done)
{
    QNetworkRequest request(m_url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setRawHeader("Authorization", m_authorization);
    const auto first = static_cast<size_t>(sequence % 3);
    QNetworkReply *reply =
        m_network.post(request, m_batch == 1 ? m_singleBodies.at(first) : m_batchBody);
    QObject::connect(
        reply, &QNetworkReply::finished, reply, [this, reply, first, done = std::move(done)] {
            reply->deleteLater();
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            if (status != 200) {
                done(QStringLiteral("HTTP %1 %2").arg(status).arg(reply->errorString()));
                return;
            }
            const QJsonObject answer = QJsonDocument::fromJson(reply->readAll()).object();
            if (m_batch == 1) {
                done(check(answer, cycle.at(first)));
                return;
            }
            const QJsonArray results = answer.value(QStringLiteral("evaluations")).toArray();
            if (results.size() != m_batch) {
                done(QStringLiteral("%1 evaluations answered, %2 asked")
                         .arg(results.size())
                         .arg(m_batch));
                return;
            }
            for (int i = 0; i < m_batch; ++i) {
                const QString wrong =
                    check(results.at(i).toObject(), cycle.at(static_cast<size_t>(i % 3)));
                if (!wrong.isEmpty()) {
                    done(QStringLiteral("item %1: %2").arg(i).arg(wrong));
                    return;
                }
            }
            done({});
        });
}

QString AuthzenClient::check(const QJsonObject &answer, Expected expected)
{
    const bool decision = answer.value(QStringLiteral("decision")).toBool();
    const bool stepUp = !answer.value(QStringLiteral("context"))
                             .toObject()
                             .value(QStringLiteral("obligations"))
                             .toArray()
                             .isEmpty();
    const bool right = (expected == Expected::Allow && decision && !stepUp)
        || (expected == Expected::StepUp && !decision && stepUp)
        || (expected == Expected::Deny && !decision && !stepUp);
    return right ? QString()
                 : QStringLiteral("unexpected answer %1")
                       .arg(QString::fromUtf8(QJsonDocument(answer).toJson(QJsonDocument::Compact))
                                .left(300));
}

} // namespace countersign::load
