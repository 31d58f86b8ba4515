// The server side of the MCP conformance suite's server scenarios (npm
// @modelcontextprotocol/conformance 0.1.16), written for the Countersign
// interop test with the official TypeScript SDK (@modelcontextprotocol/sdk,
// pinned in package.json): every tool, resource, prompt and completion the
// scenarios' descriptions ask for ("Server Implementation Requirements"),
// over Streamable HTTP with sessions, on a free loopback port. It is the
// upstream behind the gateway in test_mcp_conformance_interop; the URL of its
// endpoint is the first line it prints.
//
// Sampling and elicitation are asked the two ways a server can: on the
// call's own event stream (test_sampling) and, for elicitation, as a request
// of the session that belongs to no call, which a server sends on its GET
// stream (test_elicitation*), so both of the gateway's refusal paths are met.
import { randomUUID } from 'node:crypto';
import http from 'node:http';

import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CreateMessageResultSchema,
  ElicitResultSchema,
  isInitializeRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

// A 1x1 PNG and a tiny WAV header: the scenarios check type, data and
// mimeType, not the pixels.
const png =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const wav = Buffer.from('RIFF$\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0D\xac\0\0\x88X\x01\0\x02\0\x10\0data\0\0\0\0', 'latin1').toString('base64');

const text = (value) => ({ type: 'text', text: value });
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function elicitationTool(server, name, description, requestedSchema) {
  server.registerTool(name, { description, inputSchema: {} }, async () => {
    // Not tied to the call: the SDK sends it on the session's GET stream.
    const answer = await server.server.request(
      {
        method: 'elicitation/create',
        params: { message: `Conformance: ${name}`, requestedSchema },
      },
      ElicitResultSchema,
    );
    return {
      content: [text(`Elicitation completed: action=${answer.action}, content=${JSON.stringify(answer.content ?? {})}`)],
    };
  });
}

function createServer() {
  const server = new McpServer(
    { name: 'countersign-conformance-upstream', version: '1.0.0' },
    { capabilities: { logging: {}, resources: { subscribe: true } } },
  );

  server.registerTool('test_simple_text', { description: 'Returns simple text' }, async () => ({
    content: [text('This is a simple text response for testing.')],
  }));
  server.registerTool('test_image_content', { description: 'Returns an image', inputSchema: {} }, async () => ({
    content: [{ type: 'image', data: png, mimeType: 'image/png' }],
  }));
  server.registerTool('test_audio_content', { description: 'Returns audio', inputSchema: {} }, async () => ({
    content: [{ type: 'audio', data: wav, mimeType: 'audio/wav' }],
  }));
  const embedded = (uri) => ({
    type: 'resource',
    resource: { uri, mimeType: 'text/plain', text: 'This is an embedded resource content.' },
  });
  server.registerTool('test_embedded_resource', { description: 'Returns an embedded resource', inputSchema: {} }, async () => ({
    content: [embedded('test://embedded-resource')],
  }));
  server.registerTool('test_multiple_content_types', { description: 'Returns text, image and resource', inputSchema: {} }, async () => ({
    content: [
      text('Multiple content types test:'),
      { type: 'image', data: png, mimeType: 'image/png' },
      embedded('test://mixed-content-resource'),
    ],
  }));
  server.registerTool('test_tool_with_logging', { description: 'Logs three messages', inputSchema: {} }, async (_args, extra) => {
    for (const [index, message] of ['Tool execution started', 'Tool processing data', 'Tool execution completed'].entries()) {
      if (index > 0) await pause(50);
      await extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data: message } });
    }
    return { content: [text('Tool with logging executed successfully')] };
  });
  server.registerTool('test_tool_with_progress', { description: 'Reports progress', inputSchema: {} }, async (_args, extra) => {
    const progressToken = extra._meta?.progressToken;
    for (const [index, progress] of [0, 50, 100].entries()) {
      if (index > 0) await pause(50);
      if (progressToken !== undefined) {
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken, progress, total: 100, message: `Completed step ${index + 1} of 3` },
        });
      }
    }
    return { content: [text('Tool with progress executed successfully')] };
  });
  server.registerTool('test_error_handling', { description: 'Always fails', inputSchema: {} }, async () => ({
    isError: true,
    content: [text('This tool intentionally returns an error for testing')],
  }));
  server.registerTool(
    'test_sampling',
    { description: 'Asks the client for a completion', inputSchema: { prompt: z.string() } },
    async ({ prompt }, extra) => {
      // On the call's own event stream.
      const answer = await extra.sendRequest(
        {
          method: 'sampling/createMessage',
          params: { messages: [{ role: 'user', content: text(prompt) }], maxTokens: 100 },
        },
        CreateMessageResultSchema,
      );
      return { content: [text(`LLM response: ${answer.content?.text ?? 'No response'}`)] };
    },
  );
  elicitationTool(server, 'test_elicitation', 'Asks the user for information', {
    type: 'object',
    properties: { username: { type: 'string' }, email: { type: 'string' } },
    required: ['username', 'email'],
  });
  elicitationTool(server, 'test_elicitation_sep1034_defaults', 'Elicitation with defaults', {
    type: 'object',
    properties: {
      name: { type: 'string', default: 'John Doe' },
      age: { type: 'integer', default: 30 },
      score: { type: 'number', default: 95.5 },
      status: { type: 'string', enum: ['active', 'inactive', 'pending'], default: 'active' },
      verified: { type: 'boolean', default: true },
    },
  });
  elicitationTool(server, 'test_elicitation_sep1330_enums', 'Elicitation with enums', {
    type: 'object',
    properties: {
      untitledSingle: { type: 'string', enum: ['option1', 'option2', 'option3'] },
      titledSingle: { type: 'string', oneOf: [{ const: 'value1', title: 'First Option' }] },
      legacyEnum: { type: 'string', enum: ['opt1', 'opt2'], enumNames: ['Option One', 'Option Two'] },
      untitledMulti: { type: 'array', items: { type: 'string', enum: ['option1', 'option2'] } },
      titledMulti: { type: 'array', items: { anyOf: [{ const: 'value1', title: 'First Choice' }] } },
    },
  });

  server.registerResource('static-text', 'test://static-text', { description: 'A text resource', mimeType: 'text/plain' }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }],
  }));
  server.registerResource('static-binary', 'test://static-binary', { description: 'A binary resource', mimeType: 'image/png' }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'image/png', blob: png }],
  }));
  server.registerResource(
    'template',
    new ResourceTemplate('test://template/{id}/data', { list: undefined }),
    { description: 'A resource template', mimeType: 'application/json' },
    async (uri, { id }) => ({
      contents: [
        { uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) },
      ],
    }),
  );
  server.registerResource('watched-resource', 'test://watched-resource', { description: 'A resource to subscribe to', mimeType: 'text/plain' }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'Watched resource content' }],
  }));
  const subscriptions = new Set();
  const subscribe = z.object({ method: z.literal('resources/subscribe'), params: z.object({ uri: z.string() }) });
  const unsubscribe = z.object({ method: z.literal('resources/unsubscribe'), params: z.object({ uri: z.string() }) });
  server.server.setRequestHandler(subscribe, async (request) => {
    subscriptions.add(request.params.uri);
    return {};
  });
  server.server.setRequestHandler(unsubscribe, async (request) => {
    subscriptions.delete(request.params.uri);
    return {};
  });

  server.registerPrompt('test_simple_prompt', { description: 'A simple prompt' }, async () => ({
    messages: [{ role: 'user', content: text('This is a simple prompt for testing.') }],
  }));
  server.registerPrompt(
    'test_prompt_with_arguments',
    {
      description: 'A prompt with arguments',
      argsSchema: {
        arg1: completable(z.string().describe('First test argument'), (value) =>
          ['test1', 'test2', 'testing'].filter((candidate) => candidate.startsWith(value ?? '')),
        ),
        arg2: z.string().describe('Second test argument'),
      },
    },
    async ({ arg1, arg2 }) => ({
      messages: [{ role: 'user', content: text(`Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`) }],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_embedded_resource',
    { description: 'A prompt with an embedded resource', argsSchema: { resourceUri: z.string() } },
    async ({ resourceUri }) => ({
      messages: [
        { role: 'user', content: { type: 'resource', resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
        { role: 'user', content: text('Please process the embedded resource above.') },
      ],
    }),
  );
  server.registerPrompt('test_prompt_with_image', { description: 'A prompt with an image' }, async () => ({
    messages: [
      { role: 'user', content: { type: 'image', data: png, mimeType: 'image/png' } },
      { role: 'user', content: text('Please analyze the image above.') },
    ],
  }));
  return server;
}

const sessions = new Map(); // Mcp-Session-Id -> transport

async function readJson(request) {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  const body = Buffer.concat(chunks).toString('utf8');
  return body ? JSON.parse(body) : undefined;
}

const httpServer = http.createServer(async (request, response) => {
  try {
    if (new URL(request.url, 'http://localhost').pathname !== '/mcp') {
      response.writeHead(404).end();
      return;
    }
    const sessionId = request.headers['mcp-session-id'];
    const body = request.method === 'POST' ? await readJson(request) : undefined;
    let transport = sessionId ? sessions.get(sessionId) : undefined;
    if (!transport && request.method === 'POST' && !sessionId && isInitializeRequest(body)) {
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => sessions.set(id, transport),
      });
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
      };
      await createServer().connect(transport);
    }
    if (!transport) {
      response.writeHead(sessionId ? 404 : 400, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'unknown or missing session' } }));
      return;
    }
    await transport.handleRequest(request, response, body);
  } catch (error) {
    if (!response.headersSent) response.writeHead(500);
    response.end(String(error));
  }
});

httpServer.listen(0, '127.0.0.1', () => {
  console.log(`http://127.0.0.1:${httpServer.address().port}/mcp`);
});
process.on('SIGTERM', () => process.exit(0));
