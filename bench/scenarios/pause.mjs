// pause: K chats in flight, pause, then continue. Measures how long after continue every parked
// request is back on the engine, and checks that none is lost (docs/BENCHMARKS.md, pause).
import { runClient, startService } from '../lib/processes.mjs';

export const description = 'K requests in flight → pause → continue: time until all are resubmitted; none lost';

const ADMIN = 'bench-admin-key';

async function engineLoad(engineUrl) {
  const info = await fetch(`${engineUrl}/get_server_info`).then((r) => r.json());
  const state = info.internal_states[0];
  return state.running_requests + state.waiting_requests;
}

async function waitFor(check, timeoutMs, stepMs = 1) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

export async function run({ quick, report }) {
  // BENCH_PAUSE_REQUESTS=1024 measures the goal instead of the bar.
  const count = Number(process.env.BENCH_PAUSE_REQUESTS) || (quick ? 64 : 256);
  const engine = await startService('engine-sim', [
    '--mode',
    'echo',
    '--decode-ms-per-token',
    '10',
    '--prefill-us-per-token',
    '0',
    '--max-running',
    '4096',
  ]);
  const proxy = await startService('data-proxy', ['--backend-addr', engine.url, '--admin-api-key', ADMIN]);
  const control = (path) =>
    fetch(`${proxy.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } }).then((r) =>
      r.json(),
    );
  try {
    const content = Array.from({ length: 80 }, (_, i) => `w${i}`).join(' ');
    const client = runClient('concurrent-chat.mjs', {
      url: `${proxy.url}/chat/completions`,
      count,
      expectedContent: content,
      body: { messages: [{ role: 'user', content }], max_completion_tokens: 1024, temperature: 0 },
    });
    const allRunning = await waitFor(async () => (await engineLoad(engine.url)) === count, 20000, 5);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const paused = await control('/pause_generation');
    if (!paused.paused) throw new Error(`pause failed: ${JSON.stringify(paused)}`);
    const drained = await waitFor(async () => (await engineLoad(engine.url)) === 0, 5000, 2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const continuedAt = performance.now();
    await control('/continue_generation');
    const acknowledgedMs = performance.now() - continuedAt;
    let maxLoad = 0;
    const resubmitted = await waitFor(
      async () => {
        const load = await engineLoad(engine.url);
        maxLoad = Math.max(maxLoad, load);
        return load >= count;
      },
      5000,
      1,
    );
    const resubmitMs = performance.now() - continuedAt;
    const result = await client;
    report.check('requests running on the engine at pause', count, allRunning);
    report.bar('parked requests', count, { atLeast: 256, goal: 1024, digits: 0 });
    report.check('engine drained by pause', drained ? 'yes' : 'no', drained);
    report.figure('continue acknowledged (ms)', acknowledgedMs.toFixed(1));
    report.check(
      'every parked request back on the engine',
      resubmitted ? 'yes' : `no (at most ${maxLoad} of ${count} within 5 s)`,
      resubmitted,
    );
    report.bar('all resubmitted after continue', resubmitted ? resubmitMs : NaN, {
      atMost: 50,
      goal: 20,
      unit: 'ms',
      digits: 1,
    });
    report.figure('completed with the full answer', `${result.completed} / ${count}`);
    report.check('lost', result.lost, result.lost === 0);
    return { count, acknowledgedMs, resubmitMs, resubmitted, ...result };
  } finally {
    await proxy.stop();
    await engine.stop();
  }
}
