#pragma once

#include <chrono>
#include <functional>

#include <QByteArray>
#include <QJsonObject>
#include <QObject>
#include <QString>

namespace countersign::gateway {

// How one request to an upstream is made. (Outside Upstream so it can be a
// default argument there.)
struct UpstreamRequestOptions {
    std::chrono::milliseconds timeout = std::chrono::seconds(30);
    // The elevated token of an approved call. Each transport carries it
    // where docs/protocol.md says: Authorization: Bearer over HTTP,
    // params._meta["io.github.countersign/elevated_token"] on stdio.
    QByteArray elevatedToken;
    // Messages the upstream sends about this request while it runs
    // (notifications/progress, notifications/message), in the order they
    // came, always before the Callback. Over HTTP these are the
    // notifications on the request's own event stream; on stdio only a
    // notifications/progress whose progressToken is the one in this
    // request's params._meta (a stdio log message names no request, so it
    // is never attributed to one). Unset: they are dropped.
    std::function<void(const QJsonObject &notification)> onNotification;
};

// An MCP server behind the gateway, however it is reached (a child process
// on stdio, or Streamable HTTP). The proxy only ever sees this interface.
class Upstream : public QObject {
    Q_OBJECT

public:
    // Always called exactly once, later (never from inside request()), with
    // a JSON-RPC response object: {"result": {...}} from the upstream, or
    // {"error": {code, message, data?}} from the upstream or, with code
    // JsonRpcMessage::upstreamFailure, from the transport (not started,
    // unreachable, exited, timed out). Not called when the Upstream is
    // destroyed first.
    using Callback = std::function<void(const QJsonObject &response)>;

    using RequestOptions = UpstreamRequestOptions;

    using QObject::QObject;

    // The configured name: "directory".
    virtual const QString &name() const = 0;
    // The `aud` of elevated tokens for this upstream.
    virtual QString audience() const = 0;

    virtual void request(const QString &method, const QJsonObject &params, Callback callback,
                         RequestOptions options = {}) = 0;
};

// The error message an upstream gets for its sampling, elicitation or roots
// request (JSON-RPC -32601): the gateway never relays them.
QString serverRequestRefusal(const QString &method);

// Where the elevated token goes on stdio (docs/protocol.md).
inline constexpr auto elevatedTokenMetaKey = "io.github.countersign/elevated_token";

} // namespace countersign::gateway
