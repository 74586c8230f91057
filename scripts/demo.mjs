// `npm run demo`: starts the whole stack on engine-sim, runs one batch of agent episodes through
// the controller (8 math questions × a group of 4), shows its progress, prints what came back
// per episode and the shapes of one exported trajectory, then shuts everything down. The stack
// dies with the script, however it ends (scripts/lib/child-processes.mjs).
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { EXIT_WITH_STDIN, exitScript, spawnOwned } from './lib/child-processes.mjs';
import { integerFlag, parseCommandLine } from './lib/command-line.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ADMIN = 'demo-admin-key';
const AGENT = 'examples/math-agent/agent.mjs';
const DATASET = 'examples/math-agent/dataset.jsonl';
const { flags } = parseCommandLine({
  usage: 'node scripts/demo.mjs [--items <n>] [--group-size <n>]   (npm run demo -- ...; after npm run build)',
  description:
    'Starts the whole stack on engine-sim, runs one batch of math-agent episodes through the controller with a progress bar, prints each episode and the shapes of one exported trajectory, then stops the stack.',
  flags: {
    items: { type: 'string', value: 'n', default: '8', description: 'dataset items in the batch' },
    'group-size': { type: 'string', value: 'n', default: '4', description: 'episodes per item' },
  },
});
const ITEMS = integerFlag(flags, 'items', 1);
const GROUP = integerFlag(flags, 'group-size', 1);
// The built services: imported after the command line, so --help works before a build.
const { listeningPort } = await import('../dist/libs/common/src/bootstrap/listening-line.js');
const tty = process.stdout.isTTY;

async function call(base, method, path, body) {
  const res = await request(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  const text = await res.body.text();
  if (res.statusCode >= 400) throw new Error(`${method} ${path} answered ${res.statusCode}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Starts the controller (which launches everything else) and resolves with its URL. */
function startController() {
  const child = spawnOwned(
    process.execPath,
    [
      'dist/apps/controller/main.js',
      '--config',
      'configs/local-sim.yaml',
      '--port',
      '0',
      '--gateway-port',
      '0',
      '--admin-api-key',
      ADMIN,
      '--log-dir',
      'logs/demo',
      EXIT_WITH_STDIN,
    ],
    { cwd: ROOT },
  );
  const lines = [];
  return new Promise((resolve, reject) => {
    const onLine = (line) => {
      lines.push(line);
      const port = listeningPort(line);
      if (port !== null) resolve({ child, url: `http://127.0.0.1:${port}` });
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    child.once('exit', (code) => reject(new Error(`the controller exited (${code}):\n${lines.slice(-20).join('\n')}`)));
  });
}

function bar(done, total, running) {
  const width = 32;
  const filled = Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} episodes done, ${running} running`;
}

function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r) => r.map((cell, c) => String(cell).padEnd(widths[c])).join('  ')).join('\n');
}

const started = Date.now();
const { child, url } = await startController();
let exitCode = 0;
try {
  for (;;) {
    const res = await request(`${url}/health/ready`).catch(() => null);
    const ok = res?.statusCode === 200;
    await res?.body.dump();
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const status = await call(url, 'GET', '/status');
  console.log(
    `stack up in ${((Date.now() - started) / 1000).toFixed(1)} s: gateway ${status.gateway.addr}, ` +
      `${status.data_proxies.length} data proxies, ${status.engines.length} engine-sim engines, controller ${url}`,
  );

  const items = readFileSync(`${ROOT}/${DATASET}`, 'utf8')
    .trim()
    .split('\n')
    .slice(0, ITEMS)
    .map((l) => JSON.parse(l));
  const before = (await call(url, 'GET', '/rollout/status')).finished;
  console.log(
    `running ${items.length} items × group ${GROUP} with ${AGENT} (OpenAI SDK → gateway → data proxy → engine-sim)`,
  );
  const batchStarted = Date.now();
  const batch = call(url, 'POST', '/rollout/batch', { items, agent: AGENT, group_size: GROUP, format: 'json' });
  let finished = false;
  void batch.finally(() => (finished = true)).catch(() => undefined);
  let last = '';
  while (!finished) {
    const s = await call(url, 'GET', '/rollout/status');
    const line = bar(s.finished - before, items.length, s.capacity.running);
    if (tty) process.stdout.write(`\r${line}`);
    else if (line !== last) console.log(line);
    last = line;
    await new Promise((r) => setTimeout(r, 100));
  }
  const result = await batch;
  const done = bar(items.length, items.length, 0);
  if (tty) process.stdout.write(`\r${done}\n`);
  else if (done !== last) console.log(done);
  console.log(
    `batch done in ${((Date.now() - batchStarted) / 1000).toFixed(2)} s: ` +
      `${result.accepted} accepted, ${result.rejected} rejected\n`,
  );

  const rows = [['task', 'question', 'answer', 'rewards (per run)', 'interactions', 'tokens', 'generated', 'versions']];
  for (const episode of result.trajectories) {
    const interactions = Object.values(episode.interactions);
    // A batch's task ids are consecutive, in item order.
    const firstId = Math.min(...[...result.trajectories, ...result.rejections].map((t) => t.task_id));
    const item = items[episode.task_id - firstId] ?? {};
    const versions = new Set(interactions.flatMap((i) => i.versions.filter((_, k) => i.loss_mask[k] === 1)));
    rows.push([
      episode.task_id,
      item.question ?? '',
      item.answer ?? '',
      episode.rewards.join(' '),
      interactions.length,
      interactions.reduce((n, i) => n + i.input_ids.length, 0),
      interactions.reduce((n, i) => n + i.loss_mask.reduce((a, b) => a + b, 0), 0),
      [...versions].sort().join(','),
    ]);
  }
  console.log(table(rows));
  console.log('\n(engine-sim writes text from a built-in corpus, not answers: rewards are 0 unless it happens to');
  console.log(' produce the right number. Point the stack at a real model for real rewards.)\n');

  const first = result.trajectories[0];
  const [id, sample] = Object.entries(first.interactions)[0];
  console.log(`one exported interaction (task ${first.task_id}, ${id}), as the trainer receives it:`);
  for (const key of ['input_ids', 'loss_mask', 'logprobs', 'versions'])
    console.log(
      `  ${key.padEnd(10)} [1, ${sample[key].length}]  ${JSON.stringify(sample[key].slice(-4)).slice(0, 60)} …`,
    );
  console.log(`  ${'reward'.padEnd(10)} [1]      ${sample.reward}`);
  console.log('  (format "rpc" returns the same tensors as AReaL RTensor handles fetched from the data proxy)');
} catch (err) {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  exitCode = 1;
} finally {
  await call(url, 'POST', '/shutdown').catch(() => child.kill('SIGTERM'));
  await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
  console.log('stack stopped');
}
exitScript(exitCode);
