import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MockPool } from 'undici';
import { BODYLESS_OPERATIONS, openApiGaps, startInProcess, type InProcessApp } from '@app/common/testing';
import { DATA_PROXY_APP } from './data-proxy.app.js';

const ADMIN = 'data-proxy-admin';
const ENGINE = 'http://engine.test:30000';
const json = { headers: { 'content-type': 'application/json' } };

/** SGLang's `/generate` answer for these output tokens (with log-probs, as the data proxy asks). */
function generated(tokens: number[]) {
  return {
    text: '',
    output_ids: tokens,
    meta_info: {
      id: 'rid',
      finish_reason: { type: 'stop' },
      prompt_tokens: 5,
      completion_tokens: tokens.length,
      weight_version: '0',
      output_token_logprobs: tokens.map((t, i) => [-0.1 * (i + 1), t, null]),
    },
  };
}

/**
 * Every data proxy controller, in-process through Fastify's inject: the real module with the real
 * Qwen3 tokenizer and chat template; the SGLang engine behind it is an undici MockAgent.
 */
describe('data proxy controllers (in-process)', () => {
  let proxy: InProcessApp;
  let engine: MockPool;
  const admin = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) =>
    proxy.request(method, url, { body, token: ADMIN });
  const engineCalls: { path: string; body: unknown }[] = [];
  const engineReplies = (path: string, reply: unknown, times = 1) =>
    engine
      .intercept({ path, method: 'POST' })
      .reply((options) => {
        engineCalls.push({ path, body: JSON.parse(typeof options.body === 'string' ? options.body : 'null') });
        return { statusCode: 200, data: reply as object, responseOptions: json };
      })
      .times(times);

  beforeAll(async () => {
    proxy = await startInProcess(DATA_PROXY_APP, [
      '--admin-api-key',
      ADMIN,
      '--backend-addr',
      ENGINE,
      '--context-length',
      '4096',
    ]);
    engine = proxy.upstream.get(ENGINE);
    engine
      .intercept({ path: '/get_server_info', method: 'GET' })
      .reply(200, { enable_memory_saver: true }, json)
      .persist();
    engine
      .intercept({ path: '/v1/models', method: 'GET' })
      .reply(200, { object: 'list', data: [{ id: 'm', max_model_len: 4096 }] }, json)
      .persist();
  }, 30_000);

  afterAll(async () => {
    await proxy.close();
  });

  it('documents every operation: response schemas, request schemas, error bodies', async () => {
    const document = (await proxy.request('GET', '/openapi.json')).json;
    expect(openApiGaps(document, BODYLESS_OPERATIONS)).toEqual([]);
  });

  it('DataProxyHealthController: liveness with the engine and the session count', async () => {
    const health = (await proxy.request('GET', '/health')).json;
    expect(health).toEqual(expect.objectContaining({ status: 'ok', backend: ENGINE, backend_type: 'sglang' }));
  });

  it('DataProxySessionsController, DataProxyChatController, RewardsController, ExportController: one episode end to end', async () => {
    const started = await admin('POST', '/rl/start_session', { task_id: 'task' });
    expect(started.status).toBe(201);
    const { session_id: sessionId, api_key: key } = started.json;
    expect((await admin('POST', '/rl/start_session', 'nope')).status).toBe(400); // not JSON at all
    expect((await admin('POST', '/rl/start_session', [1])).json.code).toBe('VALIDATION_FAILED');

    engineReplies('/generate', generated([9707, 0]));
    const chat = await proxy.request('POST', '/v1/chat/completions', {
      body: { messages: [{ role: 'user', content: 'Hello' }], max_tokens: 8 },
      token: key,
    });
    expect(chat.status).toBe(200);
    expect(chat.json.object).toBe('chat.completion');
    expect(chat.json.usage).toEqual(expect.objectContaining({ completion_tokens: 2 }));
    // The engine got the templated prompt's token ids, and was asked for log-probs.
    expect(engineCalls.at(-1)!.body).toEqual(expect.objectContaining({ return_logprob: true }));
    expect((await proxy.request('POST', '/v1/chat/completions', { body: { messages: [] }, token: key })).status).toBe(
      400,
    );

    const inspected = await admin('GET', `/rl/sessions/${sessionId}`);
    expect(inspected.json.interactions[0]).toEqual(
      expect.objectContaining({
        output_ids: [9707, 0],
        output_logprobs: [expect.closeTo(-0.1, 5), expect.closeTo(-0.2, 5)],
      }),
    );
    expect((await admin('GET', '/rl/sessions/nobody')).status).toBe(404);

    const rewarded = await proxy.request('POST', '/rl/set_reward', { body: { reward: 1 }, token: key });
    expect(rewarded.json).toEqual(
      expect.objectContaining({ message: 'success', interaction_count: 1, trajectory_id: 0, ready_transition: true }),
    );
    const unknownKey = await proxy.request('POST', '/rl/set_reward', { body: { reward: 1 }, token: 'nobody' });
    expect([unknownKey.status, unknownKey.json.code]).toEqual([401, 'UNKNOWN_API_KEY']);

    const exported = await admin('POST', '/export_trajectories', {
      session_id: sessionId,
      trajectory_id: 0,
      format: 'json',
    });
    expect(Object.values(exported.json.interactions)).toHaveLength(1);
    expect((await admin('POST', '/export_trajectories', [1])).status).toBe(422);

    const removed = await admin('POST', '/rl/remove_session', { session_ids: [sessionId, 'nobody'] });
    expect(removed.json).toEqual({ status: 'ok', removed: [sessionId] });
  });

  it('DataProxyControlController: pause/continue reach the engine; versions; backend; offload needs the engine flag', async () => {
    engineReplies('/pause_generation', { message: 'ok', status: 'ok' });
    expect((await admin('POST', '/pause_generation', { mode: 'abort' })).json).toEqual({ status: 'ok', paused: true });
    engineReplies('/continue_generation', { message: 'ok', status: 'ok' });
    expect((await admin('POST', '/continue_generation')).json).toEqual({ status: 'ok', paused: false });
    expect((await admin('POST', '/set_version', { version: 3 })).json).toEqual({ status: 'ok', version: 3 });
    expect((await admin('GET', '/get_version')).json).toEqual({ version: 3 });
    expect((await admin('POST', '/set_version', { version: 'x' })).status).toBe(400);
    engineReplies('/pause_generation', { message: 'ok', status: 'ok' }, 2);
    engineReplies('/release_memory_occupation', null);
    expect((await admin('POST', '/release_memory_occupation')).json).toEqual({ status: 'ok' });
    engineReplies('/resume_memory_occupation', null);
    expect((await admin('POST', '/resume_memory_occupation', { tags: ['weights', 'kv_cache'] })).json).toEqual({
      status: 'ok',
    });
    expect((await admin('POST', '/configure')).json).toEqual({ status: 'ok' });
    expect((await admin('POST', '/configure_backend', { backend_addr: ENGINE })).json).toEqual({
      status: 'ok',
      backend_addr: ENGINE,
    });
    expect((await proxy.request('POST', '/pause_generation', { body: {} })).status).toBe(401);
  });

  it('DataController: tensor shards stored, fetched, batched and cleared in the reference’s shapes', async () => {
    const tensor = {
      type: 'tensor',
      data: Buffer.from(new Int32Array([1, 2]).buffer).toString('base64'),
      shape: [2],
      dtype: 'torch.int32',
    };
    expect((await admin('PUT', '/data/shard-1', tensor)).json).toEqual({ status: 'ok', shard_id: 'shard-1' });
    const one = await admin('GET', '/data/shard-1');
    expect(JSON.parse(one.text)).toEqual(expect.objectContaining({ shape: [2], dtype: 'torch.int32' }));
    const batch = await admin('POST', '/data/batch', { shard_ids: ['shard-1'] });
    expect(JSON.parse(batch.text)).toHaveLength(1);
    const missing = await admin('POST', '/data/batch', { shard_ids: ['nobody'] });
    expect([missing.status, missing.json.status]).toEqual([400, 'error']);
    const cleared = await admin('DELETE', '/data/clear', { shard_ids: ['shard-1'] });
    expect(cleared.json).toEqual(expect.objectContaining({ status: 'ok', cleared_count: 1 }));
  });

  it('ExternalModelsController: register and unregister a provider', async () => {
    expect((await admin('POST', '/register_model', { model: 'gpt', url: 'https://api.example.com/v1' })).json).toEqual({
      status: 'ok',
      name: 'gpt',
    });
    expect((await admin('POST', '/register_model', { model: 'gpt', url: 'ftp://x' })).status).toBe(400);
    expect((await admin('POST', '/unregister_model', { name: 'gpt' })).json).toEqual({ status: 'ok', removed: true });
    expect((await admin('POST', '/unregister_model', [])).status).toBe(422);
  });
});
