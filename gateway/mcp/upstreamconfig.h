#pragma once

#include "protocol/result.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>
#include <QUrl>

namespace countersign::gateway {

// One upstream MCP server from the gateway configuration's `upstreams:`
// section:
//
//   upstreams:                       a list, at least one item
//     - name: directory              required, unique; 1..64 of A-Z a-z 0-9 _ -
//                                    and no "__" (it separates the upstream
//                                    from the tool in prefixed tool names)
//       command: [./countersign-directory, --stdio, ...]
//                                    program and arguments, started as a
//                                    child speaking MCP over stdio. A
//                                    relative program path (one with a "/")
//                                    resolves against the configuration
//                                    file's folder; a bare name is looked up
//                                    on PATH.
//       url: https://directory.example.com/mcp
//                                    or the MCP endpoint of a Streamable HTTP
//                                    server. https, or http to a loopback
//                                    host (127.0.0.0/8, ::1, localhost) only:
//                                    elevated tokens travel on it. No user
//                                    name or password in it.
//       audience: https://directory.example.com/mcp
//                                    optional; the `aud` of the elevated
//                                    tokens for this upstream, compared
//                                    exactly by the server. Default: the url
//                                    as written, or the name for a command.
//
// Each item has exactly one of command: and url:.
struct UpstreamConfig {
    static constexpr qsizetype maxNameLength = 64;

    QString name;
    QUrl url;        // set for Streamable HTTP upstreams; then program is empty
    QString program; // stdio: absolute, or a bare name for PATH
    QStringList arguments;
    QString audience; // `aud` of elevated tokens for this upstream; see above for the default

    // yaml and line as in GatewayConfig::reserved["upstreams"]; errors read
    // "gateway.yaml:40: upstreams[0].command: ...".
    static Result<QList<UpstreamConfig>> fromConfigSection(const QByteArray &yaml, int line,
                                                           const QString &configPath);
};

} // namespace countersign::gateway
