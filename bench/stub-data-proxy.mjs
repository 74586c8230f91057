// The "stub data proxy" of the edge scenario (docs/BENCHMARKS.md): a trivial Node http server that answers every request
// with a fixed chat.completion (and 200 on /health). Used as the baseline of the edge scenario.
import { createServer } from 'node:http';

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
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: server.address().port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
