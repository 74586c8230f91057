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

export async function run({ quick }) {
  const count = quick ? 64 : 256;
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
    const report = await client;
    return {
      rows: [
        ['requests in flight at pause', `${count}${allRunning ? '' : ' (not all were running!)'}`],
        ['engine drained by pause', drained ? 'yes' : 'NO'],
        ['continue acknowledged (ms)', acknowledgedMs.toFixed(1)],
        [
          'all resubmitted after continue (ms)',
          resubmitted ? resubmitMs.toFixed(1) : `timeout (at most ${maxLoad} back)`,
        ],
        ['completed with the full answer', `${report.completed} / ${count}`],
        ['lost', report.lost],
      ],
      result: { count, acknowledgedMs, resubmitMs, resubmitted, ...report },
      ok: allRunning && drained && resubmitted && report.lost === 0,
    };
  } finally {
    await proxy.stop();
    await engine.stop();
  }
}
