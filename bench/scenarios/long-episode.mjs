// long-episode: one agent session of 128 turns through the data proxy to engine-sim (0 ms decode,
// prefill charged for what its prefix cache does not hold), in both template modes. The prompt
// grows from ≈ 220 to ≈ 15.5k tokens; a turn must cost what is new, not what came before
// (docs/BENCHMARKS.md, long-episode). Data-proxy CPU per turn over the first and the last 16
// turns (every thread, nanoseconds from /proc; an episode's first turns interleaved with the
// previous one's last, the median of fifteen such pairs, after 384 short warm-up episodes and about
// 4,000 warm-up turns), their ratio, latency and RSS; and a short turn's CPU, the floor under a
// late turn.
import { observation, openingMessages } from '../lib/agent-conversation.mjs';
import { mainThreadCpuNs, processCpuNs, processStats, startService } from '../lib/processes.mjs';

export const description =
  'agent sessions of 128 turns (≈ 220 → 15.5k prompt tokens) through data proxy → engine-sim, hf and concat; CPU per turn early vs late';

const ADMIN = 'bench-admin-key';
/** The answer engine-sim gives every turn, in tokens (text mode, then EOS). */
const ANSWER_TOKENS = 56;
/** First bar: a late turn costs at most this many times an early one. */
const RATIO_BAR = 1.3;
/** Goal: data-proxy CPU per turn at ≈ 15k tokens of context. */
const LATE_GOAL_MS = 2;
/**
 * Warm-up episodes (other text) before the measured ones: a data proxy in service has run thousands
 * of turns, so its code is compiled. The measured figures are that steady state's, not V8's
 * tier-up: TurboFan compiles a function once it has run enough, and the functions a turn calls once
 * or twice (the HTTP client's and the streams' among them) took thousands of turns to get there.
 * After 384 warm-up turns, V8 still compiled 19 functions during a measured episode (≈ 0.5 ms of
 * worker-thread CPU per turn, `--trace-opt`); after about 4,500, one. So the warm-up runs rounds of
 * agents in parallel (the turns come faster), each episode as long as the measured ones: after
 * shorter warm-ups, the measured late turns were the first bodies over 64 KB the process read
 * (several socket chunks), and V8 deoptimised and recompiled the stream code on that path during
 * the late window (`--trace-deopt`). Every episode ends as a trainer ends it (reward, then export
 * with the session removed), so the sessions of the warm-up do not stay in the heap.
 */
const WARM_ROUNDS = 4;
const WARM_AGENTS = 8;
const WARM_TURNS = 128;
/**
 * Before those, short episodes (two turns each, `WARM_AGENTS` at a time): the code a data proxy
 * runs once per episode (session start, reward, export, removal: class-validator's metadata
 * lookups among it) had run only 32 times after the long warm-up, and TurboFan compiled about 20
 * such functions during the measured episodes (`--trace-opt`; one took 20 ms), on whichever window
 * they fell in: up to +0.6 ms per turn on a window of 16 turns. A data proxy in service has run
 * thousands of episodes. They run first: run after the long episodes, their new object shapes
 * deoptimised the incremental templating's `extend` (`--trace-deopt`, code dependencies), which
 * V8 then compiled again, 44 ms, during the measured episodes.
 */
const WARM_SHORT_EPISODES = 384;
/**
 * Measured pairs of windows per mode (other text each; pairedWindows): the figures are their
 * medians, window by window. On a shared 2-core machine one pair's late / early ratio ranged
 * 0.75–1.35 in a run whose median was 0.94 (a scavenge or an incremental mark, 1–40 ms, falls in one
 * window of 16 turns or the other by chance), and with five pairs the median itself moved by
 * ± 0.15 from run to run: the 1.3× bar passed or failed by it. Fifteen pairs cost ≈ 10 s more per
 * mode (the warm-up is most of the run) and narrow the median's spread by about √3.
 */
const MEASURED_EPISODES = 15;
/**
 * Short turns measured after the episodes: the same system and task messages and one observation,
 * a new conversation each turn (≈ 280 prompt tokens), one at a time as the episode's turns are.
 * What a turn costs with no history is the floor a late turn is compared with.
 */
const SHORT_TURNS = 64;

/** `method` `path` with `body` as JSON and `key`; the answer's JSON (throws on a non-2xx). */
async function call(proxy, method, path, key, body) {
  const response = await fetch(`${proxy.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

/** Sends one chat turn's body (already JSON) with the session key; the response, body unread. */
function sendChat(proxy, key, body) {
  return fetch(`${proxy.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body,
  });
}

/** A session on the data proxy, started with the admin key: its turns are recorded. */
async function startSession(proxy, task) {
  const started = await call(proxy, 'POST', '/rl/start_session', ADMIN, { task_id: task });
  return { key: started.api_key, id: started.session_id };
}

/** Every `shard_id` in an export's answer (its tensors are shards the data proxy holds until fetched). */
function shardIds(value, into = []) {
  if (Array.isArray(value)) for (const item of value) shardIds(item, into);
  else if (value !== null && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) {
      if (key === 'shard_id' && typeof item === 'string') into.push(item);
      else shardIds(item, into);
    }
  return into;
}

/**
 * Ends a session as a trainer does: a reward, its trajectories exported with the session removed,
 * and their tensor shards dropped once taken (otherwise the data proxy holds them, up to
 * `--shard-store-bytes`: 30 MB an episode here).
 */
async function endSession(proxy, session) {
  await call(proxy, 'POST', '/rl/set_reward', session.key, { reward: 1 });
  const exported = await call(proxy, 'POST', '/export_trajectories', ADMIN, {
    session_id: session.id,
    remove_session: true,
  });
  await call(proxy, 'DELETE', '/data/clear', ADMIN, { shard_ids: shardIds(exported) });
}

/**
 * An episode of an agent, turn by turn: each request resends the whole conversation (every answer
 * as the data proxy returned it) plus one new observation. `turn()` runs the next turn and notes
 * its data-proxy CPU (ns), latency (ms), prompt and cached tokens; after a failed turn it does
 * nothing. `end()` ends the session as a trainer does.
 */
async function openEpisode(proxy, { task, seed }) {
  const session = await startSession(proxy, task);
  const key = session.key;
  const messages = openingMessages(seed);
  const perTurn = [];
  let failures = 0;
  return {
    perTurn,
    get failures() {
      return failures;
    },
    async turn() {
      if (failures > 0) return;
      const turn = perTurn.length;
      if (turn > 0) messages.push(observation(seed, turn));
      const body = JSON.stringify({ model: 'sim', messages, max_completion_tokens: 64, temperature: 1 });
      const cpuBefore = processCpuNs(proxy.pid);
      const mainBefore = mainThreadCpuNs(proxy.pid);
      const started = performance.now();
      const response = await sendChat(proxy, key, body);
      const answer = await response.json();
      const latencyMs = performance.now() - started;
      const cpuNs = processCpuNs(proxy.pid) - cpuBefore;
      const mainNs = mainThreadCpuNs(proxy.pid) - mainBefore;
      if (!response.ok) {
        failures++;
        return;
      }
      const message = answer.choices[0].message;
      // The agent sends the answer back as it got it (null fields are dropped by the data proxy).
      messages.push(message);
      perTurn.push({
        cpuNs,
        mainNs,
        latencyMs,
        promptTokens: answer.usage.prompt_tokens,
        cachedTokens: answer.usage.prompt_tokens_details?.cached_tokens ?? null,
      });
    },
    async end() {
      if (failures === 0) await endSession(proxy, session);
    },
  };
}

/** One whole episode of `turns` turns. */
async function episode(proxy, { task, turns, seed }) {
  const run = await openEpisode(proxy, { task, seed });
  for (let turn = 0; turn < turns; turn++) await run.turn();
  await run.end();
  return { perTurn: run.perTurn, failures: run.failures };
}

/**
 * `count` pairs of windows, early and late, each measured at the same time: the measured episodes
 * run in a chain, and each one's first `window` turns alternate, turn by turn, with the last
 * `window` turns of the one before it. The load of a shared machine drifts over seconds (a short
 * turn cost 1.1 ms in one run and 2.3 ms in another); windows measured seconds apart carried that
 * drift into their ratio, and the 1.3× bar failed or passed by it. Interleaved, both windows see
 * the same machine. `count + 1` episodes run: the first one's early window and the last one's
 * later turns are not measured.
 */
async function pairedWindows(proxy, { count, turns, window, seed }) {
  const pairs = [];
  let failures = 0;
  let previous = await openEpisode(proxy, { task: 'measured-0', seed });
  for (let turn = 0; turn < turns - window; turn++) await previous.turn();
  for (let m = 1; m <= count; m++) {
    const next = await openEpisode(proxy, { task: `measured-${m}`, seed: seed + m });
    // Either order every other turn, so neither window always runs right after the other.
    for (let turn = 0; turn < window; turn++)
      for (const run of turn % 2 === 0 ? [previous, next] : [next, previous]) await run.turn();
    await previous.end();
    failures += previous.failures;
    const complete = previous.perTurn.length === turns && next.perTurn.length === window;
    pairs.push({
      early: next.perTurn.slice(0, window),
      late: previous.perTurn.slice(-window),
      whole: previous,
      complete,
    });
    if (m < count) for (let turn = window; turn < turns - window; turn++) await next.turn();
    else {
      await next.end();
      failures += next.failures;
    }
    previous = next;
  }
  return { pairs, failures };
}

/** Data-proxy CPU (ms) of `turns` short turns, each a new three-message conversation of one session. */
async function shortTurns(proxy, turns, seed) {
  const session = await startSession(proxy, 'short-turns');
  const key = session.key;
  const cpuMs = [];
  for (let turn = 0; turn < turns; turn++) {
    const messages = [...openingMessages(seed), observation(seed, turn)];
    const body = JSON.stringify({ model: 'sim', messages, max_completion_tokens: 64, temperature: 1 });
    const cpuBefore = processCpuNs(proxy.pid);
    const response = await sendChat(proxy, key, body);
    await response.arrayBuffer();
    if (!response.ok) return null;
    cpuMs.push((processCpuNs(proxy.pid) - cpuBefore) / 1e6);
  }
  await endSession(proxy, session);
  return cpuMs;
}

const sum = (values) => values.reduce((a, b) => a + b, 0);
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)];
};

/** A pair of windows (early and late turns, measured at the same time): CPU per turn (mean), latency p50, prompt sizes. */
function windows({ early, late, whole }) {
  const cpuMs = (turns) => sum(turns.map((t) => t.cpuNs)) / turns.length / 1e6;
  return {
    earlyCpuMs: cpuMs(early),
    lateCpuMs: cpuMs(late),
    lateMainMs: sum(late.map((t) => t.mainNs)) / late.length / 1e6,
    // The window's median turn: what a late turn costs without the bursts of load from other work
    // on a shared machine (and without the periodic full GCs, which the mean carries).
    lateMedianTurnMs: median(late.map((t) => t.cpuNs)) / 1e6,
    ratio: cpuMs(late) / cpuMs(early),
    earlyLatencyP50Ms: median(early.map((t) => t.latencyMs)),
    lateLatencyP50Ms: median(late.map((t) => t.latencyMs)),
    firstPromptTokens: whole.perTurn[0]?.promptTokens,
    lastPromptTokens: whole.perTurn.at(-1)?.promptTokens,
    lastCachedTokens: whole.perTurn.at(-1)?.cachedTokens,
  };
}

/** The median of each window figure over several episodes (the ratio from the median windows). */
function medianWindows(each) {
  const out = { ...each[0] };
  for (const key of [
    'earlyCpuMs',
    'lateCpuMs',
    'lateMainMs',
    'lateMedianTurnMs',
    'earlyLatencyP50Ms',
    'lateLatencyP50Ms',
  ])
    out[key] = median(each.map((w) => w[key]));
  out.ratio = out.lateCpuMs / out.earlyCpuMs;
  return out;
}

export async function run({ quick, report }) {
  const turns = quick ? 24 : 128;
  const window = quick ? 8 : 16;
  const engine = await startService('engine-sim', [
    '--decode-ms-per-token',
    '0',
    '--min-output-tokens',
    String(ANSWER_TOKENS),
    '--max-output-tokens',
    String(ANSWER_TOKENS),
  ]);
  const result = { turns, window, modes: {} };
  try {
    for (const [index, mode] of ['hf', 'concat'].entries()) {
      const proxy = await startService('data-proxy', [
        '--admin-api-key',
        ADMIN,
        '--backend-addr',
        engine.url,
        '--chat-template-type',
        mode,
      ]);
      try {
        // Warm-up episodes first (other text): JIT and first-use costs stay out of the figures.
        let warmFailures = 0;
        let warmTurns = 0;
        const agents = quick ? 2 : WARM_AGENTS;
        const shortEpisodes = quick ? agents : WARM_SHORT_EPISODES;
        for (let started = 0; started < shortEpisodes; started += agents) {
          const warm = await Promise.all(
            Array.from({ length: agents }, (_, agent) =>
              episode(proxy, { task: `warm-short-${started + agent}`, turns: 2, seed: 300 + started + agent }),
            ),
          );
          warmFailures += sum(warm.map((run) => run.failures));
          warmTurns += sum(warm.map((run) => run.perTurn.length));
        }
        for (let round = 0; round < (quick ? 1 : WARM_ROUNDS); round++) {
          const warm = await Promise.all(
            Array.from({ length: agents }, (_, agent) =>
              episode(proxy, {
                task: `warm-${round}-${agent}`,
                turns: quick ? 8 : WARM_TURNS,
                seed: 7 + 100 * index + agents * round + agent,
              }),
            ),
          );
          warmFailures += sum(warm.map((run) => run.failures));
          warmTurns += sum(warm.map((run) => run.perTurn.length));
        }
        const measured = await pairedWindows(proxy, {
          count: quick ? 1 : MEASURED_EPISODES,
          turns,
          window,
          seed: 1000 + 10 * index,
        });
        const each = measured.pairs.map(windows);
        const figures = medianWindows(each);
        const short = await shortTurns(proxy, quick ? window : SHORT_TURNS, 500 + index);
        // As the episodes' windows: the mean of each `window` turns, then the median of those.
        const shortWindows = [];
        for (let at = 0; short !== null && at + window <= short.length; at += window)
          shortWindows.push(sum(short.slice(at, at + window)) / window);
        const shortMs = median(shortWindows);
        const rss = processStats(proxy.pid).rssBytes;
        const failures = warmFailures + measured.failures + (short === null ? 1 : 0);
        result.modes[mode] = {
          ...figures,
          each,
          shortTurnCpuMs: shortMs,
          rssBytes: rss,
          failures,
          perTurn: measured.pairs[0].whole.perTurn,
        };
        report.figure(
          `${mode}: prompt tokens, turn 1 → ${turns}`,
          `${figures.firstPromptTokens} → ${figures.lastPromptTokens} (cached by the engine at the last: ${figures.lastCachedTokens})`,
        );
        report.figure(
          `${mode}: data-proxy CPU per turn, first / last ${window} turns (ms), median of ${each.length} interleaved pairs`,
          `${figures.earlyCpuMs.toFixed(2)} / ${figures.lateCpuMs.toFixed(2)} (each: ${each
            .map((w) => `${w.earlyCpuMs.toFixed(2)} / ${w.lateCpuMs.toFixed(2)}`)
            .join(', ')})`,
        );
        report.bar(`${mode}: late / early CPU per turn`, figures.ratio, { atMost: RATIO_BAR, unit: '×' });
        // The spread the bar's median is taken from: each pair's own ratio (its two windows ran
        // at the same time), smallest, quartiles and largest.
        const pairRatios = each.map((w) => w.ratio).sort((a, b) => a - b);
        const quantile = (q) => pairRatios[Math.round(q * (pairRatios.length - 1))];
        report.figure(
          `${mode}: late / early of each pair, min / q1 / median / q3 / max`,
          [0, 0.25, 0.5, 0.75, 1].map((q) => quantile(q).toFixed(2)).join(' / '),
        );
        report.goal(`${mode}: late turn CPU`, figures.lateCpuMs, { atMost: LATE_GOAL_MS, unit: 'ms' });
        report.figure(
          `${mode}: late turn CPU, main thread / other threads (GC, JIT) (ms)`,
          `${figures.lateMainMs.toFixed(2)} / ${(figures.lateCpuMs - figures.lateMainMs).toFixed(2)}`,
        );
        report.figure(
          `${mode}: late turn CPU, the median turn of the window (ms)`,
          figures.lateMedianTurnMs.toFixed(2),
        );
        report.figure(
          `${mode}: a short turn (3 messages, no history), ${short?.length ?? 0} turns (ms)`,
          `${shortMs.toFixed(2)} (late turn minus this: ${(figures.lateCpuMs - shortMs).toFixed(2)})`,
        );
        report.figure(
          `${mode}: latency p50, first / last ${window} turns (ms)`,
          `${figures.earlyLatencyP50Ms.toFixed(1)} / ${figures.lateLatencyP50Ms.toFixed(1)}`,
        );
        report.figure(`${mode}: data proxy RSS after the episodes (MB)`, (rss / 1e6).toFixed(0));
        report.check(
          `${mode}: failed turns`,
          failures,
          failures === 0 && measured.pairs.every((pair) => pair.complete) && warmTurns > 0,
        );
      } finally {
        await proxy.stop();
      }
    }
  } finally {
    await engine.stop();
  }
  return result;
}
