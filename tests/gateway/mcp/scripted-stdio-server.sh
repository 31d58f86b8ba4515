#!/bin/sh
# A stdio MCP server from before MCP 2026-07-28 for test_mcp_stdioupstream:
# server/discover is an unknown method (-32601), initialize, then for
# tools/call a progress message for another token, a log message, a progress
# message for the call's own token, and an elicitation request; the call's
# result says whether the gateway refused that request, and echoes the token
# it got.
while IFS= read -r line; do
  id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9][0-9]*\).*/\1/p')
  case "$line" in
  *'"method":"initialize"'*)
    printf '{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"sh","version":"1"}}}\n' "$id" ;;
  *'"method":"tools/call"'*)
    token=$(printf '%s' "$line" | sed -n 's/.*"progressToken":"\([^"]*\)".*/\1/p')
    printf '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"client-7","progress":1}}\n'
    printf '{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"not about any call"}}\n'
    printf '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"%s","progress":2,"total":2}}\n' "$token"
    printf '{"jsonrpc":"2.0","id":"s-1","method":"elicitation/create","params":{"message":"?","requestedSchema":{"type":"object","properties":{}}}}\n'
    IFS= read -r answer
    case "$answer" in
    *'-32601'*'does not relay'*) verdict=refused ;;
    *) verdict=answered ;;
    esac
    printf '{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"%s %s"}]}}\n' "$id" "$verdict" "$token" ;;
  *'"method":"notifications/'*) ;;
  *'"method":'*)
    printf '{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"Method not found"}}\n' "$id" ;;
  esac
done
