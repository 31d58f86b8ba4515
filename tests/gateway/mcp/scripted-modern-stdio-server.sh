#!/bin/sh
# A stdio MCP server of 2026-07-28 for test_mcp_stdioupstream, its answer to
# server/discover chosen by $1:
#   modern       supportedVersions ["2026-07-28"]; tools/call "echo" answers
#                with the protocol version and client name of the request's
#                _meta and whether the 2025 handshake was ever seen; any
#                other tool asks for input (resultType input_required)
#   unsupported  UnsupportedProtocolVersionError supporting only 2027-01-01
#   wrong        supportedVersions ["2099-01-01"]
#   huge         a line of 17 MB
mode=$1
handshake=none
while IFS= read -r line; do
  id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9][0-9]*\).*/\1/p')
  case "$line" in
  *'"method":"server/discover"'*)
    case "$mode" in
    modern)
      printf '{"jsonrpc":"2.0","id":%s,"result":{"resultType":"complete","supportedVersions":["2026-07-28"],"capabilities":{"tools":{}}}}\n' "$id" ;;
    unsupported)
      printf '{"jsonrpc":"2.0","id":%s,"error":{"code":-32022,"message":"Unsupported protocol version","data":{"supported":["2027-01-01"],"requested":"2026-07-28"}}}\n' "$id" ;;
    wrong)
      printf '{"jsonrpc":"2.0","id":%s,"result":{"resultType":"complete","supportedVersions":["2099-01-01"],"capabilities":{}}}\n' "$id" ;;
    huge)
      head -c 17000000 /dev/zero | tr '\0' x ;;
    esac ;;
  *'"method":"initialize"'* | *'"method":"notifications/initialized"'*)
    handshake=seen
    case "$line" in *'"id":'*)
      printf '{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"initialize is gone"}}\n' "$id" ;;
    esac ;;
  *'"method":"tools/call"'*'"name":"echo"'* | *'"name":"echo"'*'"method":"tools/call"'*)
    version=$(printf '%s' "$line" | sed -n 's/.*"io.modelcontextprotocol\/protocolVersion":"\([^"]*\)".*/\1/p')
    client=$(printf '%s' "$line" | sed -n 's/.*"io.modelcontextprotocol\/clientInfo":{"name":"\([^"]*\)".*/\1/p')
    printf '{"jsonrpc":"2.0","id":%s,"result":{"resultType":"complete","content":[{"type":"text","text":"%s %s handshake=%s"}]}}\n' "$id" "$version" "$client" "$handshake" ;;
  *'"method":"tools/call"'*)
    printf '{"jsonrpc":"2.0","id":%s,"result":{"resultType":"input_required","inputRequests":{"q":{"method":"elicitation/create","params":{"mode":"form","message":"Sure?","requestedSchema":{"type":"object","properties":{}}}}},"requestState":"s"}}\n' "$id" ;;
  esac
done
