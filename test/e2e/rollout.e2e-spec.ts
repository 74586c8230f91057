// One suite over 300 lines: the rollout API (agent episodes, batches, datasets, staleness) against
// one launched stack shared by its cases.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../support/wait.js';
import { call } from '../support/http.js';
import { runPython } from '../support/python.js';
import { spawnApp, spawnLocalStack, type SpawnedApp } from '../support/spawn-app.js';

const ADMIN = 'rollout-admin-key';
const MATH_AGENT = 'examples/math-agent/agent.mjs';
const TOOL_AGENT = 'examples/tool-agent/agent.mjs';
const DATASET = 'examples/math-agent/dataset.jsonl';
const dir = mkdtempSync(join(tmpdir(), 'rollout-e2e-'));

/** A throwaway agent module (plain fetch: these files live outside the repository's node_modules). */
function agentFile(name: string, source: string): string {
  const file = join(dir, name);
  writeFileSync(file, source);
  return file;
}

const CHAT = `
async function chat(ctx, content) {
  const res = await fetch(ctx.baseUrl + '/v1/chat/completions', {
    method: 'POST',
    headers: { authorization: 'Bearer ' + ctx.apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ model: ctx.model, messages: [{ role: 'user', content }], max_tokens: 4 }),
    signal: ctx.signal,
  });
  if (res.status !== 200) throw new Error('chat answered ' + res.status);
  return res.json();
}`;

interface Outcome {
  task_id: number;
  accepted: boolean;
  reason?: string;
  rejected_by?: string;
  rewards: number[];
  session_ids: string[];
  group_id?: string;
  interactions: Record<
    string,
    { input_ids: number[]; loss_mask: number[]; logprobs: number[]; versions: number[]; reward: number }
  >;
}

function launch(args: string[]): Promise<SpawnedApp> {
  return spawnLocalStack(ADMIN, args);
}

function expectTrainingData(outcome: Outcome): void {
  for (const interaction of Object.values(outcome.interactions)) {
    const length = interaction.input_ids.length;
    expect([interaction.loss_mask.length, interaction.logprobs.length, interaction.versions.length]).toEqual([
      length,
      length,
      length,
    ]);
    const generated = interaction.loss_mask.flatMap((m, i) => (m === 1 ? [i] : []));
    expect(generated.length).toBeGreaterThan(0);
    // Every generated token has the weight version that produced it; prompt tokens have -1.
    for (let i = 0; i < length; i++) expect(interaction.versions[i] >= 0).toBe(interaction.loss_mask[i] === 1);
  }
}

describe('controller rollouts: agents, batches, groups, staleness, datasets (engine-sim stack)', () => {
  let main: SpawnedApp;
  const attached: SpawnedApp[] = [];
  const ctl = (method: string, path: string, body?: unknown, app: SpawnedApp = main) =>
    call(method, `${app.url}${path}`, { body, token: ADMIN });

  beforeAll(async () => {
    main = await launch([
      '--backend',
      'sim:d2',
      '--engine-sim-args',
      '--decode-ms-per-token 0',
      '--consumer-batch-size',
      '64',
    ]);
  }, 70_000);

  afterAll(async () => {
    for (const app of [...attached, main]) if (app && app.process.exitCode === null) await app.stop();
  });

  /** A controller attached to the main stack with its own staleness settings. */
  async function attach(args: string[]): Promise<SpawnedApp> {
    const status = (await ctl('GET', '/status')).json;
    const app = await spawnApp('controller', [
      '--admin-api-key',
      ADMIN,
      '--mode',
      'attach',
      '--gateway-addr',
      status.gateway.addr,
      '--router-addr',
      status.router.addr,
      '--data-proxy-addrs',
      status.data_proxies.map((p: { addr: string }) => p.addr).join(','),
      ...args,
    ]);
    attached.push(app);
    await waitFor(async () => (await call('GET', `${app.url}/health/ready`)).status === 200, 20_000, 50);
    return app;
  }

  async function proxySessions(): Promise<number> {
    const status = (await ctl('GET', '/status')).json;
    return status.data_proxies.reduce((n: number, p: { health: { sessions: number } }) => n + p.health.sessions, 0);
  }

  it('runs a batch with the example math agent (OpenAI SDK): one trajectory per item, exact training data', async () => {
    const items = [
      { question: 'What is 2 + 2?', answer: '4' },
      { question: 'What is 3 * 3?', answer: '9' },
      { question: 'What is 10 - 7?', answer: '3' },
    ];
    const sessionsBefore = await proxySessions();
    const res = await ctl('POST', '/rollout/batch', { items, agent: MATH_AGENT });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ accepted: 3, rejected: 0, timed_out: false });
    const outcomes = res.json.trajectories as Outcome[];
    expect(outcomes.map((o) => o.task_id)).toEqual([...outcomes.map((o) => o.task_id)].sort((a, b) => a - b));
    for (const outcome of outcomes) {
      expect(outcome.rewards).toHaveLength(1);
      expect([0, 1]).toContain(outcome.rewards[0]);
      expect(Object.keys(outcome.interactions)).toHaveLength(1);
      expectTrainingData(outcome);
    }
    // Exported sessions are removed: nothing stays behind on the data proxies.
    expect(await proxySessions()).toBe(sessionsBefore);
  });

  it('group_size runs each item as a group of pinned sessions, exported together', async () => {
    const res = await ctl('POST', '/rollout/batch', {
      items: [
        { question: 'What is 1 + 1?', answer: '2' },
        { question: 'What is 5 + 5?', answer: '10' },
      ],
      agent: MATH_AGENT,
      group_size: 3,
    });
    expect(res.status).toBe(200);
    expect(res.json.accepted).toBe(2);
    for (const outcome of res.json.trajectories as Outcome[]) {
      expect(outcome.group_id).toMatch(/^grp-/);
      expect(outcome.session_ids).toHaveLength(3);
      expect(outcome.rewards).toHaveLength(3);
      expect(Object.keys(outcome.interactions)).toHaveLength(3);
      expectTrainingData(outcome);
    }
  });

  it('filters with accept predicates: declarative filters and a predicate module', async () => {
    const items = Array.from({ length: 4 }, (_, i) => ({ question: `What is ${i} + 1?`, answer: String(i + 1) }));
    // engine-sim does not do arithmetic: a group's runs all score 0, so no group has a reward spread.
    const differ = await ctl('POST', '/rollout/batch', {
      items,
      agent: MATH_AGENT,
      group_size: 2,
      accept: { rewards_differ: true },
    });
    expect(differ.status).toBe(200);
    expect(differ.json).toMatchObject({ accepted: 0, rejected: 4 });
    expect(differ.json.rejections[0].reason).toMatch(/accept predicate/);
    const evenTasks = agentFile('even.mjs', 'export default (episode) => episode.task_id % 2 === 0;');
    const even = await ctl('POST', '/rollout/batch', { items, agent: MATH_AGENT, accept: evenTasks });
    expect(even.json).toMatchObject({ accepted: 2, rejected: 2 });
    expect((even.json.trajectories as Outcome[]).every((o) => o.task_id % 2 === 0)).toBe(true);
  });

  it('an agent that throws mid-episode: rejected with the reason, sessions removed, capacity returned', async () => {
    const agent = agentFile(
      'throws.mjs',
      `${CHAT}
export async function run(data, ctx) {
  await chat(ctx, 'first turn');
  if (data.fail) throw new Error('tool crashed');
  return 1;
}`,
    );
    const before = (await ctl('GET', '/capacity')).json;
    const sessionsBefore = await proxySessions();
    const res = await ctl('POST', '/rollout/batch', { items: [{ fail: true }, { fail: false }], agent, group_size: 2 });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ accepted: 1, rejected: 1 });
    expect(res.json.rejections[0].reason).toBe('agent error: tool crashed');
    const after = (await ctl('GET', '/capacity')).json;
    expect(after).toMatchObject({
      running: 0,
      enqueued: 0,
      accepted: before.accepted + 1,
      rejected: before.rejected + 1,
    });
    expect(after.capacity).toBe(before.capacity - 1);
    expect(await proxySessions()).toBe(sessionsBefore);
    // Every episode failing in the agent is a bug in the agent: 422 with the reasons.
    const allFail = await ctl('POST', '/rollout/batch', { items: [{ fail: true }], agent });
    expect(allFail.status).toBe(422);
    expect(allFail.json.rejections[0].reason).toBe('agent error: tool crashed');
  });

  it('submit / wait / wait_for_task: results are pooled, oldest first, never lost at a timeout', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await ctl('POST', '/rollout/submit', {
        data: { question: 'What is 1 + 2?', answer: '3' },
        agent: MATH_AGENT,
      });
      expect(res.status).toBe(200);
      ids.push(res.json.task_id);
    }
    const one = await ctl('POST', '/rollout/wait_for_task', { task_id: ids[2], timeout_s: 30 });
    expect(one.json.result.task_id).toBe(ids[2]);
    const tooMany = await ctl('POST', '/rollout/wait', { count: 3, timeout_s: 0.5 });
    expect(tooMany.json).toEqual({ results: [], timed_out: true });
    const two = await ctl('POST', '/rollout/wait', { count: 2, timeout_s: 30 });
    expect((two.json.results as Outcome[]).map((o) => o.task_id)).toEqual(ids.slice(0, 2));
    expect((await ctl('POST', '/rollout/wait_for_task', { task_id: ids[0] })).status).toBe(404);
    const chosen = await ctl('POST', '/rollout/submit', { data: {}, agent: MATH_AGENT, task_id: 900_000 });
    expect(chosen.json.task_id).toBe(900_000);
    expect((await ctl('POST', '/rollout/submit', { data: {}, agent: MATH_AGENT, task_id: 900_000 })).status).toBe(409);
    expect((await ctl('POST', '/rollout/wait', { count: 1 })).json.results[0].task_id).toBe(900_000);
  });

  it('prepare_batch walks a JSONL dataset with a cursor that persists across calls and can be reset', async () => {
    const body = { dataset: DATASET, batch_size: 2, agent: MATH_AGENT };
    const first = await ctl('POST', '/rollout/prepare_batch', body);
    expect(first.status).toBe(200);
    expect(first.json.trajectories).toHaveLength(2);
    // Two for this batch and two started ahead for the next one.
    expect(first.json.cursor).toEqual({ position: 4, epoch: 0, size: 32 });
    const second = await ctl('POST', '/rollout/prepare_batch', body);
    expect(second.json.trajectories).toHaveLength(2);
    expect(second.json.cursor.position).toBe(6);
    const firstIds = (first.json.trajectories as Outcome[]).map((o) => o.task_id);
    expect((second.json.trajectories as Outcome[]).some((o) => firstIds.includes(o.task_id))).toBe(false);
    const reset = await ctl('POST', '/rollout/prepare_batch', { ...body, reset: true });
    expect(reset.json.cursor.position).toBe(4);
    const status = (await ctl('GET', '/rollout/status')).json;
    expect(status.streams).toEqual(
      expect.arrayContaining([expect.objectContaining({ dataset: DATASET, position: 4, size: 32 })]),
    );
  });

  it('online mode: an episode without agent exports the next trajectory a HITL client closes', async () => {
    const submitted = await ctl('POST', '/rollout/submit', { agent: null });
    expect(submitted.status).toBe(200);
    const gateway = (await ctl('GET', '/status')).json.gateway.addr as string;
    const chat = await call('POST', `${gateway}/v1/chat/completions`, {
      body: { messages: [{ role: 'user', content: 'a human asks' }], max_tokens: 4 },
      token: ADMIN,
    });
    expect(chat.status).toBe(200);
    expect((await call('POST', `${gateway}/rl/set_reward`, { body: { reward: 0.75 }, token: ADMIN })).status).toBe(200);
    const done = await ctl('POST', '/rollout/wait_for_task', { task_id: submitted.json.task_id, timeout_s: 30 });
    expect(done.json.result).toMatchObject({ accepted: true, rewards: [0.75] });
    expect(Object.keys(done.json.result.interactions)).toEqual([chat.json.id]);
  });

  it('refuses bad input with the reason, and starts nothing', async () => {
    const noRun = agentFile('norun.mjs', 'export const helper = 1;');
    const stringReward = agentFile(
      'string-reward.mjs',
      `${CHAT}\nexport async function run(d, ctx) { await chat(ctx, 'x'); return 'great'; }`,
    );
    writeFileSync(join(dir, 'bad.jsonl'), '{"question":"ok"}\n{"question": oops}\n');
    writeFileSync(join(dir, 'list.jsonl'), '["not", "an", "object"]\n');
    const before = (await ctl('GET', '/rollout/status')).json;
    const permits = (await ctl('GET', '/capacity')).json.router_permits;
    const cases: [string, unknown, number, RegExp][] = [
      ['/rollout/batch', { items: [{}], agent: 'examples/nope.mjs' }, 400, /module not found/],
      ['/rollout/batch', { items: [{}], agent: noRun }, 400, /must export run\(data, ctx\)/],
      ['/rollout/submit', { data: {}, agent: noRun }, 400, /must export run/],
      [
        '/rollout/prepare_batch',
        { dataset: join(dir, 'missing.jsonl'), batch_size: 2, agent: MATH_AGENT },
        400,
        /ENOENT/,
      ],
      [
        '/rollout/prepare_batch',
        { dataset: join(dir, 'bad.jsonl'), batch_size: 2, agent: MATH_AGENT },
        400,
        /bad.jsonl:2: not valid JSON/,
      ],
      [
        '/rollout/prepare_batch',
        { dataset: join(dir, 'list.jsonl'), batch_size: 2, agent: MATH_AGENT },
        400,
        /must be a JSON object/,
      ],
      ['/rollout/prepare_batch', { dataset: DATASET, batch_size: 0, agent: MATH_AGENT }, 400, /batch_size/],
      ['/rollout/batch', { items: [], agent: MATH_AGENT }, 400, /items/],
      ['/rollout/batch', { items: [{}], batch_size: 2, agent: MATH_AGENT }, 400, /does not match/],
      ['/rollout/batch', { items: [{}], agent: MATH_AGENT, group_size: 0 }, 400, /group_size/],
      ['/rollout/batch', { batch_size: 2, agent: null, group_size: 2 }, 400, /online mode/],
      ['/rollout/batch', { items: [{}], agent: MATH_AGENT, accept: { min_reward: 'high' } }, 400, /min_reward/],
      ['/rollout/batch', { items: [{}], agent: MATH_AGENT, accept: join(dir, 'nope.mjs') }, 400, /module not found/],
      ['/rollout/batch', { items: [{}], agent: MATH_AGENT, style: 'tree' }, 400, /style/],
      ['/rollout/batch', { items: [{}], agent: 42 }, 400, /agent must be a module path/],
      // Not a JSON object: 422 on every service (one status per fault).
      ['/rollout/batch', '[1,2]', 422, /JSON object/],
      ['/rollout/wait', { count: 0 }, 400, /count/],
      ['/rollout/wait_for_task', { task_id: 123456789 }, 404, /never submitted/],
    ];
    for (const [path, body, status, reason] of cases) {
      const res = await ctl('POST', path, body);
      expect([path, res.status]).toEqual([path, status]);
      expect(res.text).toMatch(reason);
    }
    const after = (await ctl('GET', '/rollout/status')).json;
    expect([after.queued, after.finished, after.capacity.running]).toEqual([before.queued, before.finished, 0]);
    expect((await ctl('GET', '/capacity')).json.router_permits).toBe(permits);
    // A non-numeric reward is only known after the run: the episode is rejected with the reason.
    const res = await ctl('POST', '/rollout/batch', { items: [{}], agent: stringReward });
    expect(res.status).toBe(422);
    expect(res.json.rejections[0].reason).toMatch(/non-numeric reward \("great"\)/);
  });

  it('capacity gating: max_head_offpolicyness 0 holds episodes until set_version, 1 lets a version ahead', async () => {
    const onPolicy = await attach(['--consumer-batch-size', '2', '--max-head-offpolicyness', '0']);
    const submit = async (app: SpawnedApp) =>
      (
        await ctl(
          'POST',
          '/rollout/submit',
          { data: { question: 'What is 1 + 1?', answer: '2' }, agent: MATH_AGENT },
          app,
        )
      ).json.task_id as number;
    for (let i = 0; i < 4; i++) await submit(onPolicy);
    expect((await ctl('POST', '/rollout/wait', { count: 2, timeout_s: 30 }, onPolicy)).json.results).toHaveLength(2);
    expect((await ctl('GET', '/capacity', undefined, onPolicy)).json).toMatchObject({
      capacity: 0,
      staleness_room: 0,
      enqueued: 2,
      running: 0,
      accepted: 2,
      version: 0,
    });
    expect((await ctl('POST', '/rollout/wait', { count: 1, timeout_s: 0.5 }, onPolicy)).json.timed_out).toBe(true);
    expect((await ctl('POST', '/set_version', { version: 1 }, onPolicy)).status).toBe(200);
    const later = (await ctl('POST', '/rollout/wait', { count: 2, timeout_s: 30 }, onPolicy)).json.results as Outcome[];
    expect(later).toHaveLength(2);
    for (const outcome of later)
      for (const interaction of Object.values(outcome.interactions))
        expect(new Set(interaction.versions.filter((_, i) => interaction.loss_mask[i] === 1))).toEqual(new Set([1]));

    const oneAhead = await attach(['--consumer-batch-size', '2', '--max-head-offpolicyness', '1']);
    for (let i = 0; i < 4; i++) await submit(oneAhead);
    expect((await ctl('POST', '/rollout/wait', { count: 4, timeout_s: 30 }, oneAhead)).json.results).toHaveLength(4);
    expect((await ctl('GET', '/capacity', undefined, oneAhead)).json).toMatchObject({
      capacity: 0,
      accepted: 4,
      version: 0,
    });
    // A restarted controller under a trainer at version 3 is not handed (0 + 3 + 1) × 2 = 8 episodes.
    const restarted = await attach(['--consumer-batch-size', '2', '--max-head-offpolicyness', '0']);
    expect((await ctl('POST', '/set_version', { version: 3 }, restarted)).status).toBe(200);
    expect((await ctl('GET', '/capacity', undefined, restarted)).json).toMatchObject({ capacity: 2, accepted: 6 });
  });

  it('the Python trainer example (standard library only) drives the stack', async () => {
    const output = await runPython([
      'examples/python/trainer_client.py',
      '--controller',
      main.url,
      '--admin-key',
      ADMIN,
      '--steps',
      '2',
      '--batch-size',
      '2',
    ]);
    expect([output.code, output.stderr.slice(-2000)]).toEqual([0, expect.any(String)]);
    const report = JSON.parse(output.stdout);
    expect(report.steps).toHaveLength(2);
    expect(report.steps[1].cursor.position).toBeGreaterThan(report.steps[0].cursor.position);
    for (const step of report.steps) {
      expect(step.episodes).toHaveLength(2);
      for (const episode of step.episodes) expect(episode.rewards).toHaveLength(2);
    }
    expect(report.batch.accepted).toBe(2);
    expect(report.version).toBeGreaterThanOrEqual(2);
  }, 60_000);
});

describe('npm run demo', () => {
  it('starts the stack, runs a batch with a progress bar, prints the table and the shapes, stops cleanly', async () => {
    const output = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, ['scripts/demo.mjs', '--items', '3', '--group-size', '2'], {
        cwd: process.cwd(),
      });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
      child.on('close', (code) => resolve({ code, stdout }));
    });
    expect([output.code, output.stdout.slice(-3000)]).toEqual([0, expect.any(String)]);
    expect(output.stdout).toMatch(/3\/3 episodes done/);
    expect(output.stdout).toMatch(/batch done in [\d.]+ s: 3 accepted, 0 rejected/);
    expect(output.stdout).toMatch(
      /task +question +answer +rewards \(per run\) +interactions +tokens +generated +versions/,
    );
    expect(output.stdout).toMatch(/input_ids +\[1, \d+\]/);
    expect(output.stdout).toMatch(/stack stopped\s*$/);
  }, 90_000);
});

describe('controller rollouts with set_reward_finish_timeout and a multi-turn tool agent (echo engine)', () => {
  let controller: SpawnedApp;

  beforeAll(async () => {
    controller = await launch([
      '--backend',
      'sim:d1',
      '--engine-sim-args',
      '--mode echo --decode-ms-per-token 0',
      '--set-reward-finish-timeout',
      '0.3',
    ]);
  }, 70_000);

  afterAll(async () => {
    if (controller && controller.process.exitCode === null) await controller.stop();
  });

  it('waits for the trajectory to become final instead of failing with 409; per-interaction rewards are kept', async () => {
    // The echo engine repeats the last user turn: first the question with its tool call, then
    // (the Qwen3 template renders tool results as a user turn) the calculator's answer.
    const question =
      'Use the tool. <tool_call>\n{"name": "calculator", "arguments": {"expression": "6 * 7"}}\n</tool_call>';
    const started = Date.now();
    const res = await call('POST', `${controller.url}/rollout/batch`, {
      body: { items: [{ question, answer: '42' }], agent: TOOL_AGENT, agent_kwargs: { max_turns: 3 }, group_size: 2 },
      token: ADMIN,
    });
    expect(res.status).toBe(200);
    expect(res.json.accepted).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    const outcome = res.json.trajectories[0] as Outcome;
    expect(Object.keys(outcome.interactions)).toHaveLength(4);
    expect(outcome.rewards).toEqual([1, 1]);
    // Per run: 0.1 for the turn whose tool call worked, 1 for the exact answer; discounted
    // (turn_discount 1) from the newest turn back.
    const rewards = Object.values(outcome.interactions).map((i) => Math.round(i.reward * 100) / 100);
    expect(rewards).toEqual([1.1, 1, 1.1, 1]);
    expectTrainingData(outcome);
  });

  it.each([
    ['the Responses API (previous_response_id)', 'examples/responses-agent/agent.mjs'],
    ['the Anthropic Messages API (official SDK, x-api-key)', 'examples/anthropic-agent/agent.mjs'],
  ])('runs the multi-turn tool agent on %s: rewards by response/message id', async (_api, agent) => {
    const question =
      'Use the tool. <tool_call>\n{"name": "calculator", "arguments": {"expression": "6 * 7"}}\n</tool_call>';
    const res = await call('POST', `${controller.url}/rollout/batch`, {
      body: { items: [{ question, answer: '42' }], agent, agent_kwargs: { max_turns: 3 } },
      token: ADMIN,
    });
    expect(res.status).toBe(200);
    expect(res.json.accepted).toBe(1);
    const outcome = res.json.trajectories[0] as Outcome;
    // The tool call, then the answer (the echo of the tool's result, 42).
    expect(Object.values(outcome.interactions).map((i) => Math.round(i.reward * 100) / 100)).toEqual([1.1, 1]);
    expectTrainingData(outcome);
  });

  it('runs the raw-text agent on the legacy completions API', async () => {
    // The echo engine repeats a prompt without chat turns from its start: the first few-shot line
    // ("Q: What is 2 + 3?") up to the stop string, whose last number is 3.
    const res = await call('POST', `${controller.url}/rollout/batch`, {
      body: { items: [{ question: 'What is 1 + 2?', answer: '3' }], agent: 'examples/completions-agent/agent.mjs' },
      token: ADMIN,
    });
    expect(res.status).toBe(200);
    const outcome = res.json.trajectories[0] as Outcome;
    expect(outcome.rewards).toEqual([1]);
    expect(Object.keys(outcome.interactions)).toHaveLength(1);
    expectTrainingData(outcome);
  });
});
