#pragma once

#include "protocol/result.h"

#include <optional>

#include <QByteArray>
#include <QList>
#include <QString>

namespace countersign::gateway {

// An AI agent (MCP client) allowed to use the proxy, acting for one user.
struct McpAgent {
    QString name;         // shown to people and matched by policy (subject.properties.agent)
    QString userId;       // the user the agent acts for (subject.id)
    QByteArray keySha256; // 32 bytes: SHA-256 of the agent's bearer key
};

// The gateway configuration's `agents:` section:
//
//   agents:                          a list, at least one item
//     - name: claude-desktop         required, unique; 1..64 of A-Z a-z 0-9 _ . -
//       user: alice@example.com      required; 1..254 characters, no spaces
//       key_sha256: "<64 hex>"       required, unique; SHA-256 of the key
//
// Only the key's hash is configured so that a leaked configuration file does
// not let anyone act as an agent.
class AgentDirectory {
public:
    static constexpr qsizetype maxNameLength = 64;
    static constexpr qsizetype maxUserLength = 254;

    AgentDirectory() = default; // no agents: nobody is let in
    explicit AgentDirectory(QList<McpAgent> agents);

    // yaml and line as in GatewayConfig::reserved["agents"]; errors read
    // "gateway.yaml:30: agents[1].key_sha256: ...".
    static Result<AgentDirectory> fromConfigSection(const QByteArray &yaml, int line,
                                                    const QString &configPath);

    // The agent whose key an "Authorization: Bearer <key>" header carries,
    // or nullopt (no header, another scheme, unknown key).
    std::optional<McpAgent> authenticate(const QByteArray &authorizationHeader) const;

    const QList<McpAgent> &agents() const { return m_agents; }

private:
    QList<McpAgent> m_agents;
};

} // namespace countersign::gateway
