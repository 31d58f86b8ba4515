#pragma once

#include "gateway/config/edgelimits.h"
#include "protocol/result.h"

#include <chrono>
#include <optional>

#include <QByteArray>
#include <QHostAddress>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QSslCertificate>
#include <QSslKey>
#include <QString>
#include <QStringList>
#include <QUrl>

namespace countersign::gateway {

// The gateway's configuration file (YAML). Every key, its default and its
// limits:
//
//   listen: "HOST:PORT"
//       Where the HTTP(S) server binds. Default "127.0.0.1:8780". HOST is an
//       IP address, IPv6 in brackets ("[::1]:8780"), or "localhost"
//       (= 127.0.0.1). Port 0 picks a free port (tests).
//   public_url: URL
//       The URL companions and agents use to reach this gateway; it is the
//       `gw` of pairing links and the gateway id companions pin. http or
//       https, with no user info, query or fragment; a trailing "/" is
//       dropped. Default: derived from listen, https when tls is set,
//       http otherwise (publicUrlDerived is then true so the server can put
//       in the real port after binding port 0). Required when listen is a
//       wildcard address (0.0.0.0, [::]).
//       Plain http is refused unless public_url's host is loopback
//       (localhost, 127.0.0.0/8, ::1): companions on another machine need
//       TLS, from tls: below or from a TLS-terminating proxy. With tls: set
//       the gateway only speaks TLS, so public_url must be https.
//   name: text
//       Display name shown in the companion. Default "Countersign gateway";
//       1 to 64 characters, no control characters (the pairing link's rule).
//   data_dir: path
//       Where the database lives. Optional here because --data-dir on the
//       command line overrides it; the caller checks that one of the two is
//       given.
//   tls:
//     certificate: path   PEM chain (leaf first) or one DER certificate
//     private_key: path   unencrypted EC or RSA key, PEM or DER
//       Both or neither (omit tls: for plain http on loopback). Both files
//       are loaded when the configuration is read, and the key must belong
//       to the certificate.
//   approvals:
//     timeout: duration   Default 120s, min 10s, max 1h. How long a request
//                         waits for a person before it expires.
//     limits:             What one agent and one user may raise
//                         (docs/gateway.md "Approval limits"):
//       pending_per_agent: integer    Default 20, 1..10000
//       per_minute_per_agent: integer Default 30, 1..10000
//       pending_per_user: integer     Default 50, 1..100000
//       per_minute_per_user: integer  Default 60, 1..100000
//       max_request_bytes: integer    Default 8192, 1024..32768: the SARC
//                         (canonical JSON) shown to the person
//       hold_after_denials: integer   Default 3, 0 (off)..100
//       hold_window: duration         Default 10m, 1m..24h
//   tokens:
//     ttl: duration       Default 60s, min 5s, max 15m. Lifetime of an
//                         elevated token.
//   pairing:
//     offer_ttl: duration Default 10m, min 1m, max 24h. Lifetime of a
//                         pairing link's one-time code.
//     max_attempts_per_minute: integer
//                         Default 10, min 1, max 1000. Pairing attempts per
//                         source address per minute.
//   admin:
//     token_file: path    Optional. A file holding the bearer token for
//                         POST /approvals; without it that endpoint is
//                         disabled. The file must be a non-empty regular
//                         file that is not readable by group or others.
//   passkeys:
//     rp_id: domain       Optional. The WebAuthn RP id security keys scope
//                         credentials to (docs/protocol.md 8.1). Default:
//                         the host of public_url; when given it must be
//                         that host or a parent domain of it. The origin
//                         in client data is always public_url.
//   users:                At least one. Each item is a mapping
//     - id: text          required, unique (case-insensitively), 1 to 254
//                         characters, no spaces or control characters;
//                         typically an email address
//       display_name: text optional, 1 to 64 characters; defaults to id
//       attributes: {...} optional mapping of anything YAML (strings,
//                         numbers, booleans, null, lists, nested mappings;
//                         quoted scalars are strings) read by policies as
//                         subject.attributes.*; at most 8 levels, 1000
//                         values, strings up to 1024 characters
//                         An item may also be just the id: "- alice@example.com".
//   resources:            Optional. Records the embedded PDP knows
//     - type: text        attributes of (resource.attributes.* in rules,
//       id: text          the AuthZEN resource search). type and id 1 to
//       attributes: {...} 1024 characters, unique together; attributes as
//                         for users. At most 10000 resources.
//   actions: [names]      Optional. Action names the AuthZEN action search
//                         tries; 1 to 1024 characters, unique, at most 256.
//   policy:
//       The embedded AuthZEN PDP's rules: `policy: {file: policy.yaml}`
//       (relative to this file) or inline `policy: {rules: [...]}`; the
//       language is in gateway/pdp/policy.h and docs/gateway.md. Read by
//       GatewayRuntime with Policy::fromConfigSection.
//   limits:               What one client may make the gateway hold or wait
//                         for (EdgeLimits, gateway/config/edgelimits.h; the
//                         defaults and their reasons: docs/gateway.md
//                         "Limits"). Sizes in bytes: header_bytes,
//                         mcp_body_bytes, authzen_body_bytes,
//                         pairing_body_bytes, admin_body_bytes,
//                         other_body_bytes, websocket_message_bytes,
//                         send_queue_bytes. Durations (1s to 1h):
//                         header_timeout, body_idle_timeout,
//                         keep_alive_timeout, write_stall_timeout. Counts:
//                         max_connections (0: from the open-files limit),
//                         max_connections_per_address,
//                         websocket_pings_per_10s.
//   retention:            How long the store keeps what is finished
//                         (docs/gateway.md "Retention"); pruned in the
//                         background, hourly and at start.
//     audit_days: integer Default 90, min 1, max 3650. Audit records older
//                         than this are deleted below a recorded prune point.
//     approvals_days: integer
//                         Default 90, min 1, max 3650. Approvals resolved or
//                         expired longer ago than this are deleted; pending
//                         ones never are.
//   agents, upstreams, pdp:
//       Reserved for the MCP proxy and an external PDP; accepted and kept
//       unparsed in `reserved` for their own parsers.
//
// Durations are whole seconds (90) or a number with one unit: "90s", "2m",
// "1h". Relative paths resolve against the directory of the configuration
// file (for parse(): the directory part of sourceName, else the current
// directory). Unknown keys, repeated keys and values of the wrong kind are
// errors, not warnings: a misspelt key that is ignored leaves a setting at
// its default without anyone noticing. Anchors and aliases, nesting deeper
// than 20 levels, more than 100000 values and a second document are refused
// before any key is read (loadYamlDocument in yamlmap.h says why). Errors read
//   gateway.yaml:12: approvals.timeout: "5s" is below the minimum 10s
struct GatewayConfig {
    struct Tls {
        QString certificatePath;                 // absolute
        QString privateKeyPath;                  // absolute
        QList<QSslCertificate> certificateChain; // leaf first, never empty
        QSslKey privateKey;
    };

    struct User {
        QString id;
        QString displayName;    // the id when the file gives none
        QJsonObject attributes; // users[].attributes: what policies read (subject.attributes.*)
    };

    // resources: records the embedded PDP knows attributes of (resource
    // search, resource.attributes.* in rules).
    struct Resource {
        QString type;
        QString id;
        QJsonObject attributes;
    };

    // A reserved top-level section, re-emitted by yaml-cpp as YAML text
    // (comments are lost, structure and values kept) with the line where it
    // starts in the source, so a later parser can name "gateway.yaml:40".
    struct ReservedSection {
        QByteArray yaml;
        int line = 0; // 1-based
    };

    static constexpr auto defaultListen = "127.0.0.1:8780";
    static constexpr auto defaultApprovalTimeout = std::chrono::seconds(120);
    static constexpr auto minApprovalTimeout = std::chrono::seconds(10);
    static constexpr auto maxApprovalTimeout = std::chrono::seconds(3600);
    static constexpr auto defaultTokenTtl = std::chrono::seconds(60);
    static constexpr auto minTokenTtl = std::chrono::seconds(5);
    static constexpr auto maxTokenTtl = std::chrono::seconds(15 * 60);
    static constexpr auto defaultOfferTtl = std::chrono::seconds(10 * 60);
    static constexpr auto minOfferTtl = std::chrono::seconds(60);
    static constexpr auto maxOfferTtl = std::chrono::seconds(24 * 3600);
    static constexpr int defaultMaxPairingAttemptsPerMinute = 10;
    static constexpr int maxPairingAttemptsPerMinuteLimit = 1000;
    static constexpr qsizetype maxNameLength = 64;
    static constexpr qsizetype maxUserIdLength = 254; // the longest email address
    static constexpr qint64 maxFileBytes = 1024 * 1024;
    static constexpr qsizetype maxResources = 10000;
    static constexpr qsizetype maxActions = 256;
    static constexpr qsizetype maxEntityNameLength = 1024; // resources[].type/id, actions[]
    static constexpr int maxAttributeDepth = 8;
    static constexpr qsizetype maxAttributeValues = 1000; // per user or resource
    static constexpr qsizetype maxAttributeStringLength = 1024;

    // approvals.limits (ApprovalLimits in gateway/approvals has the same
    // defaults; the runtime copies these into it).
    struct ApprovalLimitSettings {
        int pendingPerAgent = 20;
        int perMinutePerAgent = 30;
        int pendingPerUser = 50;
        int perMinutePerUser = 60;
        int maxRequestBytes = 8 * 1024;
        int holdAfterDenials = 3;
        std::chrono::seconds holdWindow = std::chrono::minutes(10);
    };

    QHostAddress listenAddress;
    quint16 listenPort = 8780;
    QUrl publicUrl;
    bool publicUrlDerived = true;
    QString name;
    std::optional<QString> dataDir; // absolute
    std::optional<Tls> tls;
    std::chrono::seconds approvalTimeout = defaultApprovalTimeout;
    ApprovalLimitSettings approvalLimits;
    std::chrono::seconds tokenTtl = defaultTokenTtl;
    std::chrono::seconds pairingOfferTtl = defaultOfferTtl;
    int maxPairingAttemptsPerMinute = defaultMaxPairingAttemptsPerMinute;
    std::optional<QString> adminTokenFile; // absolute; nullopt: POST /approvals disabled
    QString passkeyRpId; // passkeys.rp_id, lower case; empty: the public URL's host
    QList<User> users;
    QList<Resource> resources;
    QStringList actions;                     // actions: the names the AuthZEN action search tries
    QMap<QString, ReservedSection> reserved; // "agents", "upstreams", "policy", "pdp"
    QString sourcePath; // the file it was read from (anchors relative paths of later parsers)
    EdgeLimits limits;  // limits:, see docs/gateway.md "Limits"
    int ioThreads = 0;  // serve --io-threads; 0: one per core

    // retention: (see above and docs/gateway.md "Retention")
    struct Retention {
        static constexpr int defaultDays = 90;
        static constexpr int maxDays = 3650;
        int auditDays = defaultDays;
        int approvalDays = defaultDays;
    };
    Retention retention;

    // Reads and validates the file at path (errors name it as given).
    static Result<GatewayConfig> load(const QString &path);
    // Parses and validates YAML text; sourceName labels errors and its
    // directory anchors relative paths. All failures are ConfigError.
    static Result<GatewayConfig> parse(const QByteArray &yaml, const QString &sourceName);

    // The names parse() accepts at the top level but leaves to others.
    static QStringList reservedKeys();
};

} // namespace countersign::gateway
