#pragma once

#include "protocol/result.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

namespace countersign::gateway {

// One upstream MCP server from the gateway configuration's `upstreams:`
// section:
//
//   upstreams:                       a list, at least one item
//     - name: directory              required, unique; 1..64 of A-Z a-z 0-9 _ -
//                                    and no "__" (it separates the upstream
//                                    from the tool in prefixed tool names)
//       command: [./countersign-directory, --stdio, ...]
//                                    required; program and arguments, started
//                                    as a child speaking MCP over stdio. A
//                                    relative program path (one with a "/")
//                                    resolves against the configuration
//                                    file's folder; a bare name is looked up
//                                    on PATH.
//
// `url:` (Streamable HTTP upstreams) is refused for now: not supported yet.
struct UpstreamConfig {
    static constexpr qsizetype maxNameLength = 64;

    QString name;
    QString program; // absolute, or a bare name for PATH
    QStringList arguments;
    QString audience; // `aud` of elevated tokens for this upstream; the name unless set

    // yaml and line as in GatewayConfig::reserved["upstreams"]; errors read
    // "gateway.yaml:40: upstreams[0].command: ...".
    static Result<QList<UpstreamConfig>> fromConfigSection(const QByteArray &yaml, int line,
                                                           const QString &configPath);
};

} // namespace countersign::gateway
