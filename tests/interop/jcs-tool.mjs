// Independent RFC 8785 implementation (npm "canonicalize") used by
// test_canonicaljson_interop.
//   node jcs-tool.mjs < documents
// Reads one JSON document per line from stdin and prints, line for line, its
// canonical form, or "!error: <message>" for a document it refuses. One
// process for the whole batch, because starting node per document is slow.
// Canonical text cannot hold a raw line feed (it is escaped), so lines are
// an unambiguous frame; U+2028 and U+2029 are not line breaks here.
import canonicalize from 'canonicalize';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = Buffer.concat(chunks).toString('utf8');
const lines = input.split('\n');
if (lines.at(-1) === '') lines.pop();

const results = lines.map((line) => {
  try {
    return canonicalize(JSON.parse(line));
  } catch (error) {
    return `!error: ${error.message}`;
  }
});
process.stdout.write(results.map((result) => `${result}\n`).join(''));
