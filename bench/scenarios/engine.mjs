// engine: many concurrent streaming generations against engine-sim at 0 ms decode. Checks the
// engine's scheduler holds thousands of streams and loses no request or token.
import { processStats, runClient, startService } from '../lib/processes.mjs';

export const description = 'engine-sim: N concurrent SGLang streams at 0 ms decode, none lost';

export async function run({ quick, report }) {
  const streams = quick ? 200 : 2000;
  const tokens = 32;
  const engine = await startService('engine-sim', [
    '--decode-ms-per-token',
    '0',
    '--prefill-us-per-token',
    '0',
    '--max-running',
    String(streams),
  ]);
  try {
    const before = processStats(engine.pid);
    const load = await runClient('sse-load.mjs', {
      url: engine.url,
      path: '/generate',
      streams,
      expectedTokens: tokens,
      body: {
        input_ids: [151644, 872, 198, 9707, 151645, 198, 151644, 77091, 198],
        sampling_params: { max_new_tokens: tokens, ignore_eos: true },
        stream: true,
        return_logprob: true,
      },
    });
    const after = processStats(engine.pid);
    report.figure('streams', load.streams);
    report.figure('completed', load.completed);
    report.check('lost', load.lost, load.lost === 0);
    report.check(
      'tokens received / expected',
      `${load.tokensReceived} / ${load.tokensExpected}`,
      load.tokensReceived === load.tokensExpected,
    );
    report.figure('wall time (ms)', load.wallMs.toFixed(0));
    report.figure('tokens/s delivered', ((load.tokensReceived / load.wallMs) * 1000).toFixed(0));
    report.figure('stream time p50 / p99 (ms)', `${load.streamMsP50?.toFixed(0)} / ${load.streamMsP99?.toFixed(0)}`);
    report.figure('engine CPU per stream (µs)', ((after.cpuUs - before.cpuUs) / streams).toFixed(0));
    report.figure('engine RSS (MB)', (after.rssBytes / 1e6).toFixed(0));
    return { ...load, engineCpuUsPerStream: (after.cpuUs - before.cpuUs) / streams, engineRssBytes: after.rssBytes };
  } finally {
    await engine.stop();
  }
}
