// Drives the Countersign gateway's /mcp endpoint with the official MCP
// TypeScript SDK client (@modelcontextprotocol/sdk), for
// test_mcp_sdk_interop.cpp.
//
//   node mcp-sdk-client.mjs <gateway /mcp url> <agent key> <scenario> [user]
//
// Scenarios:
//   list      tools/list
//   allowed   tools/list, then tools/call list_users (the policy allows it)
//   disable   tools/list, then tools/call disable_user {user} (step-up; user
//             defaults to alice);
//             the elicitation is accepted and the call waits for the approval
//   decline   as disable, but the elicitation is declined
//   form-open as disable, but the elicitation is left unanswered, as when the
//             person approves in Countersign without touching the agent's
//             form; the gateway then withdraws it (notifications/cancelled)
//
// Prints one JSON object per line on stdout as things happen, so the test can
// follow along while the call waits:
//   {"step":"connected","protocolVersion":...,"sessionId":...,"serverInfo":{...}}
//   {"step":"tools","names":[...]}
//   {"step":"progress","progress":n,"message":...}
//   {"step":"elicitation","message":...,"mode":...,"requestedSchema":{...},"answer":...}
//   {"step":"elicitation-cancelled","reason":...}   (form-open: the server withdrew the form)
//   {"step":"result","result":{...}}          (the tools/call result as the SDK returns it)
//   {"step":"sdk-error","message":...}        (the SDK's onerror: something it could not take)
//   {"step":"error","message":...}            (then exit 1)
//   {"step":"done"}
// Exits non-zero on any error, including messages the SDK refused.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const [url, key, scenario, target = 'alice'] = process.argv.slice(2);
const scenarios = ['list', 'allowed', 'disable', 'decline', 'form-open'];
if (!url || !key || !scenarios.includes(scenario)) {
  process.stderr.write(`usage: mcp-sdk-client.mjs <url> <key> <${scenarios.join('|')}> [user]\n`);
  process.exit(2);
}

function emit(object) {
  process.stdout.write(JSON.stringify(object) + '\n');
}

let closing = false;
let sdkErrors = 0;

const client = new Client(
  { name: 'countersign-sdk-interop', version: '1.0.0' },
  { capabilities: { elicitation: { form: {} } } },
);
client.onerror = (error) => {
  // After close() the SDK reports its own aborted streams; anything before
  // is a message or stream it could not take.
  if (closing) return;
  sdkErrors += 1;
  emit({ step: 'sdk-error', message: String(error?.message ?? error) });
};

const answer = { decline: 'decline', 'form-open': 'none' }[scenario] ?? 'accept';
client.setRequestHandler(ElicitRequestSchema, async (request, extra) => {
  const params = request.params;
  emit({
    step: 'elicitation',
    message: params.message,
    mode: params.mode ?? null,
    requestedSchema: params.requestedSchema ?? null,
    answer,
  });
  if (answer === 'none') {
    // The form stays open until the server cancels the request; the SDK
    // then aborts this handler's signal and sends no answer.
    const reason = await new Promise((resolve) => {
      if (extra.signal.aborted) resolve(extra.signal.reason);
      else extra.signal.addEventListener('abort', () => resolve(extra.signal.reason), { once: true });
    });
    emit({ step: 'elicitation-cancelled', reason: String(reason ?? '') });
    return { action: 'cancel' };
  }
  // The form has no fields: accepting only says "I have seen it".
  return answer === 'accept' ? { action: 'accept', content: {} } : { action: 'decline' };
});

const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { Authorization: `Bearer ${key}` } },
});

async function main() {
  await client.connect(transport);
  emit({
    step: 'connected',
    protocolVersion: transport.protocolVersion ?? null,
    sessionId: transport.sessionId ?? null,
    serverInfo: client.getServerVersion() ?? null,
  });

  const tools = await client.listTools();
  emit({ step: 'tools', names: tools.tools.map((tool) => tool.name) });

  if (scenario === 'allowed') {
    const result = await client.callTool({ name: 'list_users', arguments: {} });
    emit({ step: 'result', result });
  } else if (scenario !== 'list') {
    const result = await client.callTool(
      {
        name: 'disable_user',
        arguments: { user: target },
        _meta: { 'io.github.countersign/reason': `interop test: offboarding ${target}` },
      },
      undefined,
      {
        // The call waits for a person; progress keeps it alive.
        timeout: 120000,
        resetTimeoutOnProgress: true,
        onprogress: (progress) =>
          emit({ step: 'progress', progress: progress.progress, message: progress.message ?? null }),
      },
    );
    emit({ step: 'result', result });
  }

  // DELETE /mcp ends the session; then the SDK closes its streams.
  await transport.terminateSession();
  closing = true;
  await client.close();
  if (sdkErrors > 0) throw new Error(`the SDK reported ${sdkErrors} error(s)`);
  emit({ step: 'done' });
}

main().then(
  () => process.exit(0),
  async (error) => {
    emit({ step: 'error', message: String(error?.message ?? error), code: error?.code ?? null });
    closing = true;
    await client.close().catch(() => {});
    process.exit(1);
  },
);
