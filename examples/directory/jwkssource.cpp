#include "jwkssource.h"

#include <QFile>
#include <QNetworkReply>
#include <QNetworkRequest>

namespace countersign::directory {

JwksSource::JwksSource(QUrl location, QObject *parent)
    : QObject(parent)
    , m_location(std::move(location))
{
}

QString JwksSource::location() const
{
    return m_location.isLocalFile() ? m_location.toLocalFile() : m_location.toString();
}

const JwkSet &JwksSource::keys() const
{
    return m_keys;
}

Status JwksSource::adopt(const Result<JwkSet> &keys)
{
    if (!keys) {
        return makeError(ErrorCode::ConfigError,
                         QStringLiteral("cannot fetch the gateway's keys from %1: %2")
                             .arg(location(), keys.error().message));
    }
    m_keys = keys.value();
    return Ok{};
}

void JwksSource::refresh(Done done)
{
    if (m_location.isLocalFile()) {
        QFile file(m_location.toLocalFile());
        if (!file.open(QIODevice::ReadOnly)) {
            done(adopt(makeError(ErrorCode::ConfigError, file.errorString())));
            return;
        }
        done(adopt(JwkSet::fromBytes(file.read(JwkSet::maxBytes + 1))));
        return;
    }
    m_waiting.push_back(std::move(done));
    if (m_reply)
        return;
    QNetworkRequest request(m_location);
    request.setRawHeader("Accept", "application/json");
    // Without it a gateway that accepts the connection and never answers
    // would hold the tool call forever.
    request.setTransferTimeout(timeoutMilliseconds);
    m_reply = m_network.get(request);
    connect(m_reply, &QNetworkReply::finished, this, &JwksSource::finishFetch);
}

void JwksSource::finishFetch()
{
    QNetworkReply *reply = m_reply;
    m_reply = nullptr;
    if (!reply)
        return;
    reply->deleteLater();
    if (reply->error() != QNetworkReply::NoError) {
        const QString why = reply->error() == QNetworkReply::OperationCanceledError
            ? QStringLiteral("no answer within %1 s").arg(timeoutMilliseconds / 1000)
            : reply->errorString();
        settle(adopt(makeError(ErrorCode::ConfigError, why)));
        return;
    }
    settle(adopt(JwkSet::fromBytes(reply->read(JwkSet::maxBytes + 1))));
}

void JwksSource::settle(const Status &status)
{
    // A callback may call refresh() again; it must start a new list.
    std::vector<Done> waiting;
    waiting.swap(m_waiting);
    for (const Done &done : waiting)
        done(status);
}

} // namespace countersign::directory
