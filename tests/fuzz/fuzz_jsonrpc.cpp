// Any bytes as a JSON-RPC message, as the gateway's MCP proxy reads a POST
// /mcp body and as it reads an upstream's stdout line, JSON body or event
// (JsonRpcMessage::parse, protocol/jsonrpc). Properties:
//  - every input is classified; Invalid comes with a JSON-RPC error reply
//    whose id is null, a string or a number (never the offending value) and
//    whose code is one of JSON-RPC's;
//  - a message with duplicate member names is never accepted (the policy
//    must see the arguments the upstream acts on);
//  - an accepted message keeps its bytes' meaning: written back compactly it
//    parses to the same kind and the same object.
#include "protocol/jsonrpc/jsonrpcmessage.h"
#include "protocol/strictjson.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include <QJsonDocument>

using namespace countersign;

namespace {

void require(bool condition)
{
    if (!condition)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView bytes(data, static_cast<qsizetype>(size));
    const JsonRpcMessage message = JsonRpcMessage::parse(bytes);
    if (message.kind == JsonRpcMessage::Kind::Invalid) {
        const QJsonObject error = message.errorReply.value(QStringLiteral("error")).toObject();
        const int code = error.value(QStringLiteral("code")).toInt();
        require(code == JsonRpcMessage::parseError || code == JsonRpcMessage::invalidRequest);
        require(!error.value(QStringLiteral("message")).toString().isEmpty());
        const QJsonValue id = message.errorReply.value(QStringLiteral("id"));
        require(id.isNull() || id.isString() || id.isDouble());
        require(message.message.isEmpty());
        return 0;
    }
    // Accepted: strict JSON (no duplicate members), and the parts the proxy
    // reads have the types it assumes.
    require(parseStrictJsonObject(bytes, QStringLiteral("message")).ok());
    require(message.message.value(QStringLiteral("jsonrpc")).toString() == QLatin1String("2.0"));
    switch (message.kind) {
    case JsonRpcMessage::Kind::Request:
        require(message.id().isString() || message.id().isDouble());
        require(!message.method().isEmpty());
        break;
    case JsonRpcMessage::Kind::Notification:
        require(!message.message.contains(QStringLiteral("id")));
        require(!message.method().isEmpty());
        break;
    case JsonRpcMessage::Kind::Response:
        require(message.id().isString() || message.id().isDouble());
        break;
    case JsonRpcMessage::Kind::Invalid:
        break;
    }
    if (message.kind != JsonRpcMessage::Kind::Response) {
        const QJsonValue params = message.message.value(QStringLiteral("params"));
        require(params.isUndefined() || params.isObject());
    }
    const QByteArray written = QJsonDocument(message.message).toJson(QJsonDocument::Compact);
    const JsonRpcMessage again = JsonRpcMessage::parse(written);
    require(again.kind == message.kind);
    require(again.message == message.message);
    return 0;
}
