#pragma once

#include "gateway/issuer/tokenissuer.h"
#include "gateway/keys/signingkey.h"
#include "protocol/canonicaljson.h"
#include "protocol/randombytes.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>

// Shared by the directory tests: tokens minted by the gateway's own
// TokenIssuer, so the server is tested against what the gateway really sends.
namespace countersign::testing {

inline const QString directoryIssuer = QStringLiteral("https://gateway.example.com");
inline const QString directoryAudience = QStringLiteral("https://directory.example.com/mcp");
inline const QString elevatedTokenMetaKey = QStringLiteral("io.github.countersign/elevated_token");

inline QJsonObject userArguments(const QString &user)
{
    return QJsonObject{{QStringLiteral("user"), user}};
}

inline gateway::ElevatedGrant grantFor(const QString &tool, const QJsonObject &arguments,
                                       const QString &audience = directoryAudience)
{
    gateway::ElevatedGrant grant;
    grant.userId = QStringLiteral("admin@example.com");
    grant.agent = QStringLiteral("test-agent");
    grant.audience = audience;
    grant.action = tool;
    grant.resource = QStringLiteral("directory/") + tool;
    grant.argumentsHash = argumentsHash(arguments).value();
    grant.requestHash = randomBytes(32);
    return grant;
}

inline QByteArray mintToken(const EcPrivateKey &key, const Clock &clock, const QString &tool,
                            const QJsonObject &arguments, const QString &issuer = directoryIssuer)
{
    const gateway::TokenIssuer tokens(key, issuer, 60, clock);
    return tokens.issue(grantFor(tool, arguments)).value().token;
}

inline bool writeJwksFile(const QString &path, const EcPublicKey &key)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    file.write(QJsonDocument(gateway::SigningKey::jwks(key)).toJson());
    return true;
}

inline QJsonObject readJsonFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

inline bool isDisabledInFile(const QString &usersFile, const QString &id)
{
    for (const QJsonValue &user :
         readJsonFile(usersFile).value(QStringLiteral("users")).toArray()) {
        if (user.toObject().value(QStringLiteral("id")).toString() == id)
            return user.toObject().value(QStringLiteral("disabled")).toBool();
    }
    return false;
}

inline QJsonObject toolCall(int id, const QString &tool, const QJsonObject &arguments,
                            const QByteArray &metaToken = {})
{
    QJsonObject params{{QStringLiteral("name"), tool}, {QStringLiteral("arguments"), arguments}};
    if (!metaToken.isEmpty()) {
        params.insert(QStringLiteral("_meta"),
                      QJsonObject{{elevatedTokenMetaKey, QString::fromLatin1(metaToken)}});
    }
    return QJsonObject{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                       {QStringLiteral("id"), id},
                       {QStringLiteral("method"), QStringLiteral("tools/call")},
                       {QStringLiteral("params"), params}};
}

inline QJsonObject request(int id, const QString &method, const QJsonObject &params = {})
{
    return QJsonObject{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                       {QStringLiteral("id"), id},
                       {QStringLiteral("method"), method},
                       {QStringLiteral("params"), params}};
}

inline QJsonObject initializeParams(const QString &version)
{
    return QJsonObject{
        {QStringLiteral("protocolVersion"), version},
        {QStringLiteral("capabilities"), QJsonObject{}},
        {QStringLiteral("clientInfo"),
         QJsonObject{{QStringLiteral("name"), QStringLiteral("test")},
                     {QStringLiteral("version"), QStringLiteral("1")}}},
    };
}

// The text of a tools/call result's first content item.
inline QString resultText(const QJsonObject &response)
{
    return response.value(QStringLiteral("result"))
        .toObject()
        .value(QStringLiteral("content"))
        .toArray()
        .at(0)
        .toObject()
        .value(QStringLiteral("text"))
        .toString();
}

inline bool isToolError(const QJsonObject &response)
{
    return response.value(QStringLiteral("result"))
        .toObject()
        .value(QStringLiteral("isError"))
        .toBool(false);
}

// Reads newline-delimited output from a process until a deadline; never sleeps.
inline QByteArray readLine(QProcess &process, int timeoutMs = 10'000)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (!process.canReadLine()) {
        if (deadline.hasExpired() || process.state() != QProcess::Running)
            return {};
        process.waitForReadyRead(static_cast<int>(deadline.remainingTime()));
    }
    return process.readLine().trimmed();
}

} // namespace countersign::testing
