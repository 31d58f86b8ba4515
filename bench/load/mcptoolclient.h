#pragma once

#include "bench/load/callclient.h"
#include "examples/agent-cli/mcphttpclient.h"

#include <QByteArray>
#include <QUrl>

namespace countersign::load {

// An MCP session that calls the directory's get_user tool, directly or
// through a gateway (the same tool name either way: the gateway has one
// upstream, so it does not prefix it). Each call asks for alice, bob or carol
// in turn and checks that the answer is that user.
class McpToolClient : public CallClient {
public:
    // `bearer` is the agent key for a gateway, empty for the directory.
    McpToolClient(const QUrl &endpoint, const QByteArray &bearer);

    // initialize and notifications/initialized; the session is then ready.
    void initialize(Done done);
    void call(qint64 sequence, Done done) override;

private:
    agent::McpHttpClient m_client;
};

} // namespace countersign::load
