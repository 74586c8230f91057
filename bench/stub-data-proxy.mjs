// The "stub data proxy" of the edge scenario (docs/BENCHMARKS.md): a trivial Node http server that answers every request
// with a fixed chat.completion (and 200 on /health). Used as the baseline of the edge scenario.
import { createServer } from 'node:http';
import { exitWhenParentGoes } from '../scripts/lib/child-processes.mjs';
import { integerFlag, parseCommandLine } from '../scripts/lib/command-line.mjs';

const { flags } = parseCommandLine({
  usage: 'node bench/stub-data-proxy.mjs [--port <n>]',
  description:
    'A trivial HTTP server answering every request with a fixed chat.completion: the edge scenario\'s baseline. Prints {"msg":"listening","port":N}; stops on SIGTERM.',
  flags: {
    port: { type: 'string', value: 'n', default: '0', description: 'port to listen on (0: a free one)' },
    'exit-with-stdin': { type: 'boolean', description: 'stop when standard input closes (as the services)' },
  },
});
const port = integerFlag(flags, 'port');

const BODY = JSON.stringify({
  id: 'chatcmpl-stub',
  object: 'chat.completion',
  created: 1700000000,
  model: 'stub',
  choices: [
    {
      index: 0,
      finish_reason: 'stop',
      logprobs: null,
      message: { role: 'assistant', content: 'Hello from the stub.', refusal: null, tool_calls: null },
    },
  ],
  usage: { prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 },
});

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) });
    res.end(BODY);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: server.address().port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
// The bench holds the other end of our stdin: it closes when the bench is gone, however it went.
if (flags['exit-with-stdin']) exitWhenParentGoes();
