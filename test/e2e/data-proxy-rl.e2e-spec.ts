// One suite over 300 lines: the data proxy's RL bookkeeping (sessions, rewards, callbacks, export,
// external models) against real processes shared by its cases.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { call } from '../support/http.js';
import { Listener } from '../support/listener.js';
import { postSse } from '../support/sse.js';
import { spawnApp, type SpawnedApp } from '../support/spawn-app.js';
import { decodeTensor } from '../support/tensors.js';
import { sleep, waitFor } from '../support/wait.js';
import { freePort } from '@app/common/testing';

const ADMIN = 'rl-admin-key';

describe('data proxy RL bookkeeping (real processes)', () => {
  let engine: SpawnedApp;
  let proxy: SpawnedApp;
  let callbacks: Listener;
  let callbackPort: number;

  beforeAll(async () => {
    callbackPort = await freePort();
    callbacks = new Listener();
    engine = await spawnApp('engine-sim', ['--mode', 'echo', '--decode-ms-per-token', '0']);
    proxy = await spawnApp('data-proxy', [
      '--admin-api-key',
      ADMIN,
      '--backend-addr',
      engine.url,
      '--callback-server-addr',
      `http://127.0.0.1:${callbackPort}`,
      '--max-body-bytes',
      '1048576',
    ]);
  });

  afterAll(async () => {
    await proxy?.stop();
    await engine?.stop();
    await callbacks.stop();
  });

  const admin = (method: string, path: string, body?: unknown) =>
    call(method, `${proxy.url}${path}`, { body, token: ADMIN });
  const chat = (token: string, messages: unknown[]) =>
    call('POST', `${proxy.url}/chat/completions`, { body: { messages }, token });

  it('runs an episode: start → two turns → reward → export (reference encoding) → fetch shards → remove', async () => {
    const { session_id, api_key } = (await admin('POST', '/rl/start_session', { task_id: 'episode' })).json;
    const first = [{ role: 'user', content: 'turn one' }];
    const one = await chat(api_key, first);
    const second = [...first, one.json.choices[0].message, { role: 'user', content: 'turn two' }];
    const two = await chat(api_key, second);
    const recorded = (await admin('GET', `/rl/sessions/${session_id}`)).json.interactions;
    const reward = await call('POST', `${proxy.url}/rl/set_reward`, { body: { reward: 1.0 }, token: api_key });
    expect(reward.json).toEqual({
      message: 'success',
      interaction_count: 2,
      session_id,
      trajectory_id: 0,
      trajectory_ready: true,
      ready_transition: true,
    });

    const exported = await admin('POST', '/export_trajectories', {
      session_id,
      trajectory_id: 0,
      discount: 0.5,
      style: 'individual',
    });
    expect(exported.status).toBe(200);
    const entries = exported.json.interactions;
    expect(Object.keys(entries)).toEqual([one.json.id, two.json.id]);
    const entry = entries[two.json.id];
    expect(entry.reward).toBe(1);
    expect(entries[one.json.id].reward).toBe(0.5);
    expect(Object.keys(entry.tensor_dict)).toEqual([
      'input_ids',
      'loss_mask',
      'logprobs',
      'versions',
      'attention_mask',
      'rewards',
    ]);
    const ref = entry.tensor_dict.input_ids;
    expect(ref.class_path).toBe('areal.infra.rpc.rtensor.RTensor');
    expect(ref.data.shard.class_path).toBe('areal.infra.rpc.rtensor.TensorShardInfo');
    expect(ref.data.shard.data.node_addr).toBe(`127.0.0.1:${proxy.port}`);
    expect(ref.data.data).toEqual({
      type: 'tensor',
      data: null,
      shape: [1, recorded[1].prompt_ids.length + recorded[1].output_ids.length],
      dtype: 'torch.int64',
    });

    const ids = Object.values(entry.tensor_dict).map((r: any) => r.data.shard.data.shard_id as string);
    const batch = await call('POST', `${proxy.url}/data/batch`, { body: { shard_ids: ids } });
    expect(batch.status).toBe(200);
    expect(batch.headers['content-type']).toContain('application/octet-stream');
    const [inputIds, lossMask, logprobs, versions, attention, rewards] = JSON.parse(batch.text);
    expect(decodeTensor(inputIds)).toEqual([...recorded[1].prompt_ids, ...recorded[1].output_ids]);
    expect(decodeTensor(lossMask)).toEqual([
      ...recorded[1].prompt_ids.map(() => 0),
      ...recorded[1].output_ids.map(() => 1),
    ]);
    expect(decodeTensor(logprobs).slice(recorded[1].prompt_ids.length)).toEqual(recorded[1].output_logprobs);
    expect(decodeTensor(versions)).toEqual([...recorded[1].prompt_ids.map(() => -1), ...recorded[1].output_versions]);
    expect(attention.dtype).toBe('torch.bool');
    expect(decodeTensor(rewards)).toEqual([1]);
    expect((await call('GET', `${proxy.url}/data/${ids[0]}`)).status).toBe(200);

    const cleared = await call('DELETE', `${proxy.url}/data/clear`, { body: { shard_ids: ids } });
    expect(cleared.json).toEqual(expect.objectContaining({ status: 'ok', cleared_count: 6 }));
    const gone = await call('GET', `${proxy.url}/data/${ids[0]}`);
    expect(gone.status).toBe(404);
    expect(gone.json).toEqual({ status: 'error', message: `Shard ${ids[0]} not found` });

    const again = await admin('POST', '/export_trajectories', { session_id });
    expect(again.status).toBe(409);
    expect((await admin('POST', '/export_trajectories', { session_id, trajectory_id: 0 })).status).toBe(404);
    await admin('POST', '/export_trajectories', { session_id, remove_session: true }).catch(() => undefined);
  });

  it('exports plain JSON arrays on request, and the later upstream session_ids form', async () => {
    const { session_id, api_key } = (await admin('POST', '/rl/start_session', { task_id: 'json' })).json;
    await chat(api_key, [{ role: 'user', content: 'json please' }]);
    await call('POST', `${proxy.url}/rl/set_reward`, { body: { reward: 0.25 }, token: api_key });
    const exported = await admin('POST', '/export_trajectories', {
      session_ids: [session_id, 'unknown-0'],
      format: 'json',
    });
    const [entry] = Object.values<any>(exported.json.interactions);
    expect(entry.reward).toBe(0.25);
    expect(entry.input_ids.length).toBe(entry.loss_mask.length);
    expect(entry.messages).toEqual([{ role: 'user', content: 'json please' }]);
    // session_ids defaults to remove_session: true
    expect((await admin('GET', `/rl/sessions/${session_id}`)).status).toBe(404);
  });

  it('a bad export request leaves the trajectory exportable', async () => {
    const { session_id, api_key } = (await admin('POST', '/rl/start_session', { task_id: 'keep' })).json;
    await chat(api_key, [{ role: 'user', content: 'keep me' }]);
    await call('POST', `${proxy.url}/rl/set_reward`, { body: { reward: 1 }, token: api_key });
    expect((await admin('POST', '/export_trajectories', { session_id, style: 'sideways' })).status).toBe(400);
    expect((await admin('POST', '/export_trajectories', { session_id, style: 'concat' })).status).toBe(400);
    expect((await admin('POST', '/export_trajectories', { session_id, discount: 'x' })).status).toBe(400);
    expect((await admin('POST', '/export_trajectories', { session_id: 'nope-0' })).status).toBe(404);
    expect((await admin('POST', '/export_trajectories', {})).status).toBe(400);
    expect((await admin('POST', '/export_trajectories', { session_id })).status).toBe(200);
  });

  it('HITL: admin-key chats and rewards reach the controller once per trajectory, even when it was down at first', async () => {
    await chat(ADMIN, [{ role: 'user', content: 'online one' }]);
    const first = await call('POST', `${proxy.url}/rl/set_reward`, { body: { reward: 1 }, token: ADMIN });
    expect(first.json).toEqual(
      expect.objectContaining({ session_id: '__hitl__', trajectory_id: 0, ready_transition: true }),
    );
    await chat(ADMIN, [{ role: 'user', content: 'online two' }]);
    await call('POST', `${proxy.url}/rl/set_reward`, { body: { reward: 0 }, token: ADMIN });
    await sleep(600); // the controller is down: deliveries fail and back off
    await callbacks.start(callbackPort);
    await waitFor(() => callbacks.requests.length >= 2, 40_000, 50);
    await sleep(1500);
    const seen = callbacks.requests.map((r) => `${r.path} ${r.json.session_id} ${r.json.trajectory_id}`);
    expect(seen.sort()).toEqual(['/callback/online_ready __hitl__ 0', '/callback/online_ready __hitl__ 1']);
    expect(callbacks.requests.every((r) => r.headers.authorization === `Bearer ${ADMIN}`)).toBe(true);
    const exported = await admin('POST', '/export_trajectories', { session_id: '__hitl__', trajectory_id: 0 });
    expect(Object.values(exported.json.interactions)).toHaveLength(1);
    expect((await call('GET', `${proxy.url}/rl/sessions/__hitl__`, { token: ADMIN })).json.ready_trajectories).toEqual([
      { trajectory_id: 1, interaction_count: 1, callback_delivered: true },
    ]);
  }, 60_000);

  it('offline sessions do not trigger callbacks by default', async () => {
    const before = callbacks.requests.length;
    const { api_key } = (await admin('POST', '/rl/start_session', { task_id: 'offline' })).json;
    await chat(api_key, [{ role: 'user', content: 'offline' }]);
    await call('POST', `${proxy.url}/rl/set_reward`, { body: { reward: 1 }, token: api_key });
    await sleep(500);
    expect(callbacks.requests.length).toBe(before);
  });

  it('refuses bad rewards, unknown keys, and bad shard requests without changing state', async () => {
    const { session_id, api_key } = (await admin('POST', '/rl/start_session', { task_id: 'bad' })).json;
    const reward = (body: unknown, token: string | null = api_key) =>
      call('POST', `${proxy.url}/rl/set_reward`, { body, token });
    expect((await reward({ reward: 1 })).status).toBe(400); // no interactions yet
    await chat(api_key, [{ role: 'user', content: 'x' }]);
    expect((await reward({ reward: 'high' })).status).toBe(422);
    expect((await reward({})).status).toBe(422);
    expect((await reward({ reward: 1, interaction_id: 'nope' })).status).toBe(400);
    expect((await reward({ reward: 1 }, null)).status).toBe(401);
    expect((await reward({ reward: 1 }, 'unknown-key')).status).toBe(401);
    expect((await admin('GET', `/rl/sessions/${session_id}`)).json.ready_trajectories).toEqual([]);
    expect((await call('POST', `${proxy.url}/data/batch`, { body: { shard_ids: 'x' } })).status).toBe(400);
    expect((await call('POST', `${proxy.url}/data/batch`, { body: [1, 2] })).status).toBe(400);
    expect((await call('POST', `${proxy.url}/data/batch`, { body: 'null' })).status).toBe(400);
    const missing = await call('POST', `${proxy.url}/data/batch`, { body: { shard_ids: ['nope'] } });
    expect(missing.json).toEqual({
      status: 'error',
      message: 'One or more requested shards were not found',
      missing_shard_ids: ['nope'],
    });
    expect((await call('GET', `${proxy.url}/data/..%2F..%2Fetc`)).status).toBe(400);
    expect(
      (
        await call('PUT', `${proxy.url}/data/abc`, {
          body: { type: 'tensor', data: 'AQ==', shape: [1], dtype: 'torch.bool' },
        })
      ).status,
    ).toBe(401);
    const put = await call('PUT', `${proxy.url}/data/abc`, {
      body: { type: 'tensor', data: 'AQ==', shape: [1], dtype: 'torch.bool' },
      token: ADMIN,
    });
    expect(put.json).toEqual({ status: 'ok', shard_id: 'abc' });
    expect(
      (
        await call('PUT', `${proxy.url}/data/abc`, {
          body: { type: 'tensor', data: 'AQ==', shape: [7], dtype: 'torch.bool' },
          token: ADMIN,
        })
      ).status,
    ).toBe(400);
    expect(
      (await call('PUT', `${proxy.url}/data/big`, { body: { data: 'x'.repeat(2_000_000) }, token: ADMIN })).status,
    ).toBe(413);
    expect((await call('DELETE', `${proxy.url}/data/clear`, { body: {} })).status).toBe(400);
  });

  it('start_session: group form, key reuse rule', async () => {
    const group = await admin('POST', '/rl/start_session', { task_id: 'grp', group_size: 3 });
    expect(group.status).toBe(201);
    expect(group.json.group_id).toMatch(/^grp-/);
    expect(group.json.sessions.map((s: any) => s.session_id)).toEqual(['grp-0', 'grp-1', 'grp-2']);
    const reused = await admin('POST', '/rl/start_session', {
      task_id: 'reuse',
      api_key: group.json.sessions[0].session_api_key,
    });
    expect(reused.status).toBe(409);
    expect((await admin('POST', '/rl/start_session', { task_id: 'x', api_key: ADMIN })).status).toBe(400);
    expect((await admin('POST', '/rl/start_session', { task_id: 7 })).status).toBe(422);
  });
});

describe('data proxy external model mode', () => {
  it('forwards chats to a registered provider with its key, relays answers, records messages-only interactions', async () => {
    const provider = await new Listener((req, res) => {
      const request = req.json;
      if (request.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(
          `data: ${JSON.stringify({ id: 'ext-s', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' } }] })}\n\n`,
        );
        res.write(
          `data: ${JSON.stringify({ id: 'ext-s', choices: [{ index: 0, delta: { content: 'lo!' }, finish_reason: 'stop' }] })}\n\n`,
        );
        res.end('data: [DONE]\n\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'ext-1-response',
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content: 'from provider' }, finish_reason: 'stop' }],
        }),
      );
    }).start();
    const proxy = await spawnApp('data-proxy', ['--admin-api-key', ADMIN, '--backend-addr', '']);
    try {
      const registered = await call('POST', `${proxy.url}/register_model`, {
        body: { name: 'ext-1', url: provider.url, model: 'gpt-4o', api_key: 'sk-provider-key-99' },
        token: ADMIN,
      });
      expect(registered.json).toEqual({ status: 'ok', name: 'ext-1' });
      expect(
        (await call('POST', `${proxy.url}/register_model`, { body: { name: 'x', url: 'ftp://x' }, token: ADMIN }))
          .status,
      ).toBe(400);
      expect((await call('POST', `${proxy.url}/register_model`, { body: { name: 'x' } })).status).toBe(401);

      const answer = await call('POST', `${proxy.url}/chat/completions`, {
        body: { model: 'ext-1', messages: [{ role: 'user', content: 'hello' }] },
        token: ADMIN,
        headers: { cookie: 'secret=1' },
      });
      expect(answer.json.id).toBe('ext-1-response');
      const sent = provider.requests[0];
      expect(sent.path).toBe('/chat/completions');
      expect(sent.json.model).toBe('gpt-4o');
      expect(sent.headers.authorization).toBe('Bearer sk-provider-key-99');
      expect(sent.headers.cookie).toBeUndefined();

      const stream = await postSse(
        `${proxy.url}/chat/completions`,
        { model: 'ext-1', messages: [{ role: 'user', content: 'stream' }], stream: true },
        { authorization: `Bearer ${ADMIN}` },
      );
      expect(String(stream.headers['content-type'])).toContain('text/event-stream');
      expect((await stream.done).at(-1)).toBe('[DONE]');

      await call('POST', `${proxy.url}/rl/set_reward`, { body: { reward: 1 }, token: ADMIN });
      const exported = await call('POST', `${proxy.url}/export_trajectories`, {
        body: { session_id: '__hitl__' },
        token: ADMIN,
      });
      const entries = Object.values<any>(exported.json.interactions);
      expect(entries.map((e) => e.output_message_list[0].content)).toEqual(['from provider', 'Hello!']);
      expect(entries[0].messages).toEqual([{ role: 'user', content: 'hello' }]);
      expect(entries[0].tensor_dict).toBeUndefined();

      // The other agent APIs generate on the engine: naming an external model there is a 400 in
      // the API's own error shape, never an answer from another model.
      const responses = await call('POST', `${proxy.url}/v1/responses`, { body: { model: 'ext-1', input: 'x' } });
      expect([responses.status, responses.json.error.message]).toEqual([
        400,
        expect.stringContaining('external model'),
      ]);
      const messages = await call('POST', `${proxy.url}/v1/messages`, {
        body: { model: 'ext-1', max_tokens: 4, messages: [{ role: 'user', content: 'x' }] },
      });
      expect([messages.status, messages.json.error.type]).toEqual([400, 'invalid_request_error']);

      // Not registered, and no engine: a clear 503.
      expect(
        (
          await call('POST', `${proxy.url}/chat/completions`, {
            body: { model: 'other', messages: [{ role: 'user', content: 'x' }] },
          })
        ).status,
      ).toBe(503);
    } finally {
      await proxy.stop();
      await provider.stop();
    }
  });
});
