// A scripted MCP server of revision 2026-07-28 for test_agent_cli_modern:
// it answers server/discover properly (except in mode "discover-versions")
// and answers tools/call with what the mode ($2) names, each a way a server
// can misbehave that countersign-agent must refuse with a clear error:
//
//   node agent-scripted-server.mjs --mode MODE
//
// Listens on a free loopback port and prints its endpoint URL first.
import http from 'node:http';

const mode = process.argv[process.argv.indexOf('--mode') + 1];

const elicit = (params) => ({ method: 'elicitation/create', params });
const inputRequired = (extra) => ({ resultType: 'input_required', ...extra });
const results = {
  'result-not-object': () => [1, 2],
  'unknown-type': () => ({ resultType: 'later', content: [] }),
  'input-not-object': () => inputRequired({ inputRequests: 'approve please', requestState: 's' }),
  'input-empty': () => inputRequired({}),
  sampling: () =>
    inputRequired({ inputRequests: { a: { method: 'sampling/createMessage', params: {} } } }),
  'bad-url': () =>
    inputRequired({
      inputRequests: { a: elicit({ mode: 'url', message: 'Open it', url: 'javascript:alert(1)', elicitationId: 'e' }) },
    }),
  'no-message': () => inputRequired({ inputRequests: { a: elicit({ mode: 'form' }) } }),
  loop: () =>
    inputRequired({
      inputRequests: { a: elicit({ mode: 'form', message: 'Again? binding code 17', requestedSchema: { type: 'object', properties: {} } }) },
      requestState: 'again',
    }),
  'state-too-big': () =>
    inputRequired({ requestState: 'x'.repeat(70 * 1024) }),
  'control-chars': () =>
    inputRequired({
      inputRequests: { a: elicit({ mode: 'url', message: 'Look\u001b[2J here, binding code 64', url: 'https://gateway.example/approve/a1?t=x', elicitationId: 'e' }) },
      requestState: 'st',
    }),
};

const server = http.createServer(async (request, response) => {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  const message = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const reply = (result) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ jsonrpc: '2.0', id: message.id, result }));
  };
  if (message.method === 'server/discover') {
    reply({
      resultType: 'complete',
      supportedVersions: mode === 'discover-versions' ? ['2099-01-01'] : ['2026-07-28'],
      capabilities: { tools: {} },
    });
    return;
  }
  if (message.method === 'tools/list') {
    // x-mcp-header (mode "header-params"): one valid tool, one whose
    // annotation hides under items (invalid: the agent must leave it out).
    const tools = mode !== 'header-params' ? [] : [
      { name: 'sql', inputSchema: { type: 'object', properties: {
        region: { type: 'string', 'x-mcp-header': 'Region' },
        limit: { type: 'integer', 'x-mcp-header': 'Limit' } } } },
      { name: 'batch', inputSchema: { type: 'object', properties: {
        jobs: { type: 'array', items: { type: 'object', properties: {
          region: { type: 'string', 'x-mcp-header': 'Region' } } } } } } },
    ];
    reply({ resultType: 'complete', tools });
    return;
  }
  if (mode === 'header-params') {
    // Says back which Mcp-Param-* headers came (Node lowercases names).
    const seen = Object.keys(request.headers).filter((name) => name.startsWith('mcp-param-')).sort()
      .map((name) => `${name}=${request.headers[name]}`).join(' ');
    reply({ resultType: 'complete', content: [{ type: 'text', text: `headers: ${seen}` }] });
    return;
  }
  if (mode === 'bad-json') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"jsonrpc":"2.0","id":');
    return;
  }
  if (mode === 'huge') {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    const block = 'x'.repeat(1024 * 1024);
    response.write('data: "');
    for (let i = 0; i < 17; ++i) response.write(block);
    response.end();
    return;
  }
  if (mode === 'control-chars' && message.params?.requestState === 'st') {
    const accepted = message.params?.inputResponses?.a?.action === 'accept';
    reply({ resultType: 'complete', content: [{ type: 'text', text: accepted ? 'approved elsewhere' : 'no' }] });
    return;
  }
  reply(results[mode]());
});
server.listen(0, '127.0.0.1', () => {
  console.log(`http://127.0.0.1:${server.address().port}/mcp`);
});
process.on('SIGTERM', () => process.exit(0));
