#pragma once

#include "protocol/result.h"

#include <QByteArray>
#include <QString>

namespace countersign::load {

// The files a bench_mcp_proxy run hands its servers, all in one temporary
// folder: the JWK Set the directory trusts (a throwaway key: get_user needs
// no elevated token, but the directory wants a key set at start), the admin
// token of the AuthZEN API, and one gateway configuration per gateway.
class BenchFiles {
public:
    explicit BenchFiles(QString folder);

    // jwks.json and admin.token (mode 600, as the gateway demands); a fresh
    // agent key and admin token.
    Status writeCommon();

    // `<name>.yaml`: listen on a free loopback port, one user, the policy
    // file, one agent whose key is agentKey(), the admin token, and one
    // upstream named "directory" given as YAML mapping entries (`url: ...`
    // or `command: [...]`). Returns the file's path.
    Result<QString> writeGatewayConfig(const QString &name, const QString &policyFile,
                                       const QString &upstreamEntries) const;

    QString jwksPath() const;
    QByteArray agentKey() const { return m_agentKey; }
    QByteArray adminToken() const { return m_adminToken; }

    // A YAML scalar for any text: a JSON string is a valid YAML
    // double-quoted scalar, and it escapes whatever a path may hold.
    static QString yamlString(const QString &text);

private:
    Status writeFile(const QString &name, const QByteArray &content, bool privateFile) const;

    QString m_folder;
    QByteArray m_agentKey;
    QByteArray m_adminToken;
};

} // namespace countersign::load
