#include "benchfiles.h"

#include "protocol/jose/ecprivatekey.h"
#include "protocol/randombytes.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

namespace countersign::load {

BenchFiles::BenchFiles(QString folder)
    : m_folder(std::move(folder))
{
}

Status BenchFiles::writeCommon()
{
    m_agentKey = randomToken(32).toLatin1();
    m_adminToken = randomToken(32).toLatin1();
    auto key = EcPrivateKey::generate();
    if (!key)
        return key.error();
    const QJsonObject jwks{{QStringLiteral("keys"), QJsonArray{key->publicKey().toJwk()}}};
    if (auto written = writeFile(QStringLiteral("jwks.json"), QJsonDocument(jwks).toJson(), false);
        !written) {
        return written;
    }
    return writeFile(QStringLiteral("admin.token"), m_adminToken, true);
}

Result<QString> BenchFiles::writeGatewayConfig(const QString &name, const QString &policyFile,
                                               const QString &upstreamEntries) const
{
    const QString yaml =
        QStringLiteral("listen: 127.0.0.1:0\n"
                       "name: %1\n"
                       "users: [alice@example.com]\n"
                       "admin:\n  token_file: %2\n"
                       "policy:\n  file: %3\n"
                       "agents:\n"
                       "  - name: bench-agent\n    user: alice@example.com\n"
                       "    key_sha256: %4\n"
                       "upstreams:\n"
                       "  - name: directory\n%5")
            .arg(yamlString(QStringLiteral("bench ") + name),
                 yamlString(m_folder + QStringLiteral("/admin.token")), yamlString(policyFile),
                 QString::fromLatin1(
                     QCryptographicHash::hash(m_agentKey, QCryptographicHash::Sha256).toHex()),
                 upstreamEntries);
    const QString fileName = name + QStringLiteral(".yaml");
    if (auto written = writeFile(fileName, yaml.toUtf8(), false); !written)
        return written.error();
    return QString(m_folder + u'/' + fileName);
}

QString BenchFiles::jwksPath() const
{
    return m_folder + QStringLiteral("/jwks.json");
}

QString BenchFiles::yamlString(const QString &text)
{
    const QByteArray array = QJsonDocument(QJsonArray{text}).toJson(QJsonDocument::Compact);
    return QString::fromUtf8(array.mid(1, array.size() - 2)); // strip [ and ]
}

Status BenchFiles::writeFile(const QString &name, const QByteArray &content, bool privateFile) const
{
    QFile file(m_folder + u'/' + name);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return makeError(
            ErrorCode::StorageFailure,
            QStringLiteral("cannot write %1: %2").arg(file.fileName(), file.errorString()));
    // Owner-only before the secret is in it.
    if (privateFile && !file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner))
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("cannot make %1 private").arg(file.fileName()));
    if (file.write(content) != content.size() || !file.flush())
        return makeError(
            ErrorCode::StorageFailure,
            QStringLiteral("cannot write %1: %2").arg(file.fileName(), file.errorString()));
    return Ok{};
}

} // namespace countersign::load
