import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { sleep, waitFor } from '../support/wait.js';
import { call } from '../support/http.js';
import { postSse } from '../support/sse.js';
import { spawnApp, type SpawnedApp, spawnEngineSim } from '../support/spawn-app.js';

const ADMIN = 'stack-admin-key';
const TOOLS = [
  {
    type: 'function' as const,
    function: {
      name: 'get_weather',
      description: 'weather',
      parameters: { type: 'object', properties: { city: { type: 'string' } } },
    },
  },
];

/** gateway → router → two data proxies → engine-sim, every one a real process. */
describe('full stack: gateway → router → data proxies → engine-sim', () => {
  let engine: SpawnedApp;
  let router: SpawnedApp;
  let gateway: SpawnedApp;
  const proxies: SpawnedApp[] = [];

  const admin = (method: string, path: string, body?: unknown) =>
    call(method, `${gateway.url}${path}`, { body, token: ADMIN });

  beforeAll(async () => {
    engine = await spawnEngineSim(2, ['--mode', 'echo']);
    router = await spawnApp('router', [
      '--admin-api-key',
      ADMIN,
      '--poll-interval',
      '0.2',
      '--worker-health-timeout',
      '0.5',
    ]);
    for (let i = 0; i < 2; i++)
      proxies.push(await spawnApp('data-proxy', ['--admin-api-key', ADMIN, '--backend-addr', engine.url]));
    gateway = await spawnApp('gateway', ['--admin-api-key', ADMIN, '--router-addr', router.url]);
    for (const proxy of proxies)
      await call('POST', `${router.url}/register`, { body: { worker_addr: proxy.url }, token: ADMIN });
  });

  afterAll(async () => {
    await gateway?.stop();
    await Promise.all(proxies.map((p) => p.stop()));
    await router?.stop();
    await engine?.stop();
  });

  async function startSession(task: string): Promise<{ session_id: string; api_key: string; worker: string }> {
    await admin('POST', '/grant_capacity');
    const res = await admin('POST', '/rl/start_session', { task_id: task });
    expect(res.status).toBe(201);
    const worker = (
      await call('POST', `${router.url}/route`, { body: { session_id: res.json.session_id }, token: ADMIN })
    ).json.worker_addr;
    return { ...res.json, worker };
  }

  it('an agent on the official openai SDK chats (plain, streaming, tools) with its session key; the trainer exports', async () => {
    const session = await startSession('sdk');
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: session.api_key });

    const plain = await client.chat.completions.create({
      model: 'default',
      messages: [{ role: 'user', content: 'What is 2 + 2?' }],
    });
    expect(plain.choices[0].message.content).toBe('What is 2 + 2?');
    expect(plain.usage?.completion_tokens).toBeGreaterThan(0);

    const stream = await client.chat.completions.create({
      model: 'default',
      messages: [{ role: 'user', content: 'stream this answer back' }],
      stream: true,
    });
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? '';
    expect(streamed).toBe('stream this answer back');

    const toolCall = await client.chat.completions.create({
      model: 'default',
      messages: [
        { role: 'user', content: '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n</tool_call>' },
      ],
      tools: TOOLS,
    });
    expect(toolCall.choices[0].finish_reason).toBe('tool_calls');
    const call0 = toolCall.choices[0].message.tool_calls?.[0];
    expect(call0?.type === 'function' ? call0.function : undefined).toEqual({
      name: 'get_weather',
      arguments: '{"city": "Oslo"}',
    });

    const reward = await call('POST', `${gateway.url}/rl/set_reward`, { body: { reward: 1 }, token: session.api_key });
    expect(reward.json).toEqual(
      expect.objectContaining({ interaction_count: 3, trajectory_id: 0, ready_transition: true }),
    );
    const exported = await admin('POST', '/export_trajectories', {
      session_id: session.session_id,
      trajectory_id: 0,
      format: 'json',
    });
    expect(Object.keys(exported.json.interactions)).toHaveLength(3);
    const rows = Object.values<any>(exported.json.interactions);
    for (const row of rows) {
      expect(row.input_ids.length).toBe(row.loss_mask.length);
      expect(row.reward).toBe(1);
    }
    // Exported: the router no longer routes the session's key.
    await expect(
      client.chat.completions.create({ model: 'default', messages: [{ role: 'user', content: 'again' }] }),
    ).rejects.toMatchObject({ status: 401 });
  });

  it('spreads new sessions over both data proxies and keeps each pinned', async () => {
    const a = await startSession('spread-a');
    const b = await startSession('spread-b');
    expect(new Set([a.worker, b.worker])).toEqual(new Set(proxies.map((p) => p.url)));
    for (const s of [a, b]) {
      await call('POST', `${gateway.url}/chat/completions`, {
        body: { messages: [{ role: 'user', content: `hello ${s.session_id}` }] },
        token: s.api_key,
      });
      const owner = proxies.find((p) => p.url === s.worker)!;
      const other = proxies.find((p) => p.url !== s.worker)!;
      expect(
        (await call('GET', `${owner.url}/rl/sessions/${s.session_id}`, { token: ADMIN })).json.interactions,
      ).toHaveLength(1);
      expect((await call('GET', `${other.url}/rl/sessions/${s.session_id}`, { token: ADMIN })).status).toBe(404);
    }
  });

  it('a data proxy killed mid-stream: that stream ends with an error event, other sessions carry on, the router marks it unhealthy', async () => {
    const a = await startSession('fault-a');
    const b = await startSession('fault-b');
    const victim = proxies.find((p) => p.url === b.worker)!;
    const survivor = a.worker;
    const long = Array.from({ length: 400 }, (_, i) => `w${i}`).join(' ');
    const stream = await postSse(
      `${gateway.url}/chat/completions`,
      { messages: [{ role: 'user', content: long }], stream: true },
      { authorization: `Bearer ${b.api_key}` },
    );
    await sleep(300);
    victim.process.kill('SIGKILL');
    const events = await stream.done;
    expect(events.at(-1)).toEqual({
      error: expect.objectContaining({ message: expect.stringContaining('upstream stream failed') }),
    });
    const ok = await call('POST', `${gateway.url}/chat/completions`, {
      body: { messages: [{ role: 'user', content: 'still here' }] },
      token: a.api_key,
    });
    expect(ok.json.choices[0].message.content).toBe('still here');
    await waitFor(async () => {
      const workers = (await call('GET', `${router.url}/workers`, { token: ADMIN })).json.workers as {
        addr: string;
        healthy: boolean;
      }[];
      return (
        workers.find((w) => w.addr === victim.url)?.healthy === false &&
        workers.find((w) => w.addr === survivor)?.healthy === true
      );
    }, 5000);
    const pinned = await call('POST', `${gateway.url}/chat/completions`, { body: { messages: [] }, token: b.api_key });
    expect(pinned.status).toBe(503);
    expect(pinned.json.error.message).toBe('Pinned worker unhealthy');
  });
});
