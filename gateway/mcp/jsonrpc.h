#pragma once

// The gateway's MCP code names the JSON-RPC message countersign::JsonRpcMessage
// from inside countersign::gateway; it lives in protocol/ so that upstream
// servers (examples/directory) parse exactly as the proxy does.
#include "protocol/jsonrpc/jsonrpcmessage.h"
