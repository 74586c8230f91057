import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MockPool } from 'undici';
import { BODYLESS_OPERATIONS, openApiGaps, startInProcess, type InProcessApp } from '@app/common/testing';
import { GATEWAY_APP } from './gateway.app.js';

const ADMIN = 'gateway-admin';
const ROUTER = 'http://router.test:8081';
const PROXY_A = 'http://proxy-a.test:8082';
const PROXY_B = 'http://proxy-b.test:8082';

const json = { headers: { 'content-type': 'application/json' } };

/**
 * Every gateway controller (and the services behind them: session start with orphan cleanup,
 * model registration with rollback, per-worker control), in-process through Fastify's inject, with
 * the router and the data proxies as an undici MockAgent.
 */
describe('gateway controllers (in-process)', () => {
  let gateway: InProcessApp;
  let router: MockPool;
  let proxyA: MockPool;
  let proxyB: MockPool;
  const admin = (method: 'GET' | 'POST', url: string, body?: unknown) =>
    gateway.request(method, url, { body, token: ADMIN });
  /** Bodies a mocked upstream received, by path. */
  const received: Record<string, unknown[]> = {};
  const record = (path: string) => (options: { body?: unknown }) => {
    (received[path] ??= []).push(JSON.parse(typeof options.body === 'string' ? options.body : 'null'));
  };

  beforeAll(async () => {
    gateway = await startInProcess(GATEWAY_APP, [
      '--admin-api-key',
      ADMIN,
      '--router-addr',
      ROUTER,
      '--pin-cache',
      'false',
    ]);
    router = gateway.upstream.get(ROUTER);
    proxyA = gateway.upstream.get(PROXY_A);
    proxyB = gateway.upstream.get(PROXY_B);
  });

  afterAll(async () => {
    await gateway.close();
  });

  it('documents every operation: response schemas, request schemas, error bodies', async () => {
    const document = (await gateway.request('GET', '/openapi.json')).json;
    expect(openApiGaps(document, BODYLESS_OPERATIONS)).toEqual([]);
  });

  it('GatewayHealthController: liveness with the router address', async () => {
    expect((await gateway.request('GET', '/health')).json).toEqual({ status: 'ok', router_addr: ROUTER });
  });

  it('GatewayChatController: routes by session key and relays the data proxy answer; an unknown key is 401 UNKNOWN_API_KEY', async () => {
    router
      .intercept({ path: '/route', method: 'POST', body: (b) => JSON.parse(b).api_key === 'key-1' })
      .reply(200, { worker_addr: PROXY_A, worker_id: 'w', url: null, api_key: null, pin_seq: 1 }, json);
    proxyA
      .intercept({ path: '/chat/completions', method: 'POST' })
      .reply(200, { id: 'chatcmpl-1', object: 'chat.completion', choices: [] }, json);
    const chat = await gateway.request('POST', '/v1/chat/completions', {
      body: { messages: [{ role: 'user', content: 'hi' }] },
      token: 'key-1',
    });
    expect([chat.status, chat.json.id]).toEqual([200, 'chatcmpl-1']);
    router
      .intercept({ path: '/route', method: 'POST' })
      .reply(404, { detail: 'Unknown API key', code: 'UNKNOWN_API_KEY' }, json);
    const unknown = await gateway.request('POST', '/v1/chat/completions', {
      body: { messages: [] },
      token: 'nobody',
    });
    expect([unknown.status, unknown.json.code]).toEqual([401, 'UNKNOWN_API_KEY']);
    // A 404 for another reason stays a 404 with the router's code: branching is on codes, not text.
    router
      .intercept({ path: '/route', method: 'POST' })
      .reply(404, { detail: 'Unknown API key', code: 'MODEL_NOT_FOUND' }, json);
    const model = await gateway.request('POST', '/v1/chat/completions', {
      body: { model: 'm', messages: [] },
      token: 'key-2',
    });
    expect([model.status, model.json.code]).toEqual([404, 'MODEL_NOT_FOUND']);
    expect((await gateway.request('POST', '/v1/chat/completions', { body: {} })).status).toBe(401);
  });

  it('GatewayChatController: set_reward goes to the session’s data proxy', async () => {
    router
      .intercept({ path: '/route', method: 'POST' })
      .reply(200, { worker_addr: PROXY_A, worker_id: 'w', url: null, api_key: null, pin_seq: 1 }, json);
    proxyA.intercept({ path: '/rl/set_reward', method: 'POST' }).reply(200, { message: 'success' }, json);
    const reward = await gateway.request('POST', '/rl/set_reward', { body: { reward: 1 }, token: 'key-1' });
    expect([reward.status, reward.json.message]).toEqual([200, 'success']);
  });

  it('SessionStartService: creates on the chosen data proxy and pins it; a refused pin removes the orphan and keeps 429', async () => {
    router
      .intercept({ path: '/route', method: 'POST' })
      .reply(200, { worker_addr: PROXY_A, worker_id: 'w', url: null, api_key: null, pin_seq: 1 }, json)
      .times(2);
    proxyA
      .intercept({ path: '/rl/start_session', method: 'POST' })
      .reply(201, { session_id: 's-1', api_key: 'k-1' }, json)
      .times(2);
    router
      .intercept({ path: '/register_session', method: 'POST' })
      .reply((options) => (record('/register_session')(options), { statusCode: 200, data: { status: 'ok' } }));
    const started = await admin('POST', '/rl/start_session', { task_id: 't' });
    expect([started.status, started.json]).toEqual([201, { session_id: 's-1', api_key: 'k-1' }]);
    expect(received['/register_session']).toEqual([
      { session_api_key: 'k-1', session_id: 's-1', worker_addr: PROXY_A },
    ]);

    router.intercept({ path: '/register_session', method: 'POST' }).reply(429, { detail: 'no capacity' }, json);
    proxyA
      .intercept({ path: '/rl/remove_session', method: 'POST' })
      .reply((options) => (record('/rl/remove_session')(options), { statusCode: 200, data: { status: 'ok' } }));
    const refused = await admin('POST', '/rl/start_session', { task_id: 't' });
    expect([refused.status, refused.json.code]).toEqual([429, 'NO_CAPACITY']);
    expect(received['/rl/remove_session']).toEqual([{ session_ids: ['s-1'] }]);
  });

  it('GatewaySessionsController: export relays the data proxy answer and releases the pin; a non-object body is 422', async () => {
    router
      .intercept({ path: '/route', method: 'POST' })
      .reply(200, { worker_addr: PROXY_A, worker_id: 'w', url: null, api_key: null, pin_seq: 1 }, json);
    proxyA.intercept({ path: '/export_trajectories', method: 'POST' }).reply(200, { interactions: { a: {} } }, json);
    router
      .intercept({ path: '/remove_session', method: 'POST' })
      .reply((options) => (record('/remove_session')(options), { statusCode: 200, data: { status: 'ok' } }));
    const exported = await admin('POST', '/export_trajectories', { session_id: 's-1', trajectory_id: 0 });
    expect([exported.status, exported.json]).toEqual([200, { interactions: { a: {} } }]);
    expect(received['/remove_session']).toEqual([{ session_id: 's-1' }]);
    const bad = await admin('POST', '/export_trajectories', [1, 2]);
    expect([bad.status, bad.json.code]).toEqual([422, 'VALIDATION_FAILED']);
    expect((await admin('POST', '/export_trajectories', {})).status).toBe(400);
  });

  it('ModelRegistrationService: router then every data proxy; a failed data proxy rolls back exactly what this call did', async () => {
    router.intercept({ path: '/models/m', method: 'GET' }).reply(404, { detail: 'no', code: 'MODEL_NOT_FOUND' }, json);
    router
      .intercept({ path: '/register_model', method: 'POST' })
      .reply(200, { status: 'ok', model: 'm', data_proxy_addrs: [PROXY_A, PROXY_B] }, json);
    proxyA.intercept({ path: '/register_model', method: 'POST' }).reply(200, { status: 'ok', name: 'm' }, json);
    proxyB.intercept({ path: '/register_model', method: 'POST' }).reply(500, { detail: 'boom' }, json);
    proxyA
      .intercept({ path: '/unregister_model', method: 'POST' })
      .reply((options) => (record('/unregister_model')(options), { statusCode: 200, data: { status: 'ok' } }));
    router
      .intercept({ path: '/remove_model', method: 'POST' })
      .reply((options) => (record('/remove_model')(options), { statusCode: 200, data: { status: 'ok' } }));
    const failed = await admin('POST', '/register_model', { model: 'm' });
    expect(failed.status).toBe(502);
    expect(failed.json.results.map((r: { addr: string; ok: boolean }) => [r.addr, r.ok])).toEqual([
      [PROXY_A, true],
      [PROXY_B, false],
    ]);
    // The model was new: it leaves the data proxy that took it and the router.
    expect(received['/unregister_model']).toEqual([{ name: 'm' }]);
    expect(received['/remove_model']).toEqual([{ name: 'm' }]);

    router.intercept({ path: '/models/m', method: 'GET' }).reply(404, {}, json);
    router
      .intercept({ path: '/register_model', method: 'POST' })
      .reply(200, { status: 'ok', model: 'm', data_proxy_addrs: [PROXY_A] }, json);
    proxyA.intercept({ path: '/register_model', method: 'POST' }).reply(200, { status: 'ok', name: 'm' }, json);
    const ok = await admin('POST', '/register_model', { model: 'm' });
    expect([ok.status, ok.json]).toEqual([200, { status: 'ok', model: 'm', data_proxy_addrs: [PROXY_A] }]);
    // Validated with its contract class before anything is called: 400 naming the field, in the
    // gateway's error shape; malformed JSON is MALFORMED_JSON.
    const missing = await admin('POST', '/register_model', { url: 'x' });
    expect([missing.status, missing.json.code, typeof missing.json.error]).toEqual([400, 'BAD_REQUEST', 'string']);
    expect(missing.json.error).toBe('model is required; url must be an http(s) URL or empty');
    const badList = await admin('POST', '/register_model', { model: 'm', data_proxy_addrs: [5] });
    expect([badList.status, badList.text.includes('data_proxy_addrs')]).toEqual([400, true]);
    const malformed = await admin('POST', '/register_model', '{oops');
    expect([malformed.status, malformed.json.code, malformed.json.error]).toEqual([
      400,
      'MALFORMED_JSON',
      'Invalid JSON body',
    ]);
  });

  it('GatewayModelsController: the router’s names, the OpenAI list, capacity grants', async () => {
    router
      .intercept({ path: '/models', method: 'GET' })
      .reply(200, { models: ['m'] }, json)
      .times(2);
    expect((await admin('GET', '/models')).json).toEqual({ models: ['m'] });
    const list = await admin('GET', '/v1/models');
    expect(list.json).toEqual({
      object: 'list',
      data: [{ id: 'm', object: 'model', created: 0, owned_by: 'rollout-inference-service' }],
    });
    router.intercept({ path: '/grant_capacity', method: 'POST' }).reply(200, { status: 'ok', capacity: 3 }, json);
    expect((await admin('POST', '/grant_capacity')).json).toEqual({ status: 'ok', capacity: 3 });
  });

  it('GatewayWorkersController: per-worker control resolves the id and reports the worker’s result, never a gateway error', async () => {
    router
      .intercept({ path: '/resolve_worker/w-1', method: 'GET' })
      .reply(200, { worker_addr: PROXY_A }, json)
      .times(3);
    proxyA.intercept({ path: '/pause_generation', method: 'POST' }).reply(200, { status: 'ok', paused: true }, json);
    expect((await admin('POST', '/pause_generation/w-1')).json).toEqual({
      results: [{ worker_addr: PROXY_A, status: 200, ok: true, error: null }],
    });
    proxyA.intercept({ path: '/continue_generation', method: 'POST' }).reply(503, 'engine down');
    const failed = (await admin('POST', '/continue_generation/w-1')).json.results[0];
    expect([failed.ok, failed.status, failed.error]).toEqual([false, 503, 'engine down']);
    proxyA.intercept({ path: '/get_version', method: 'GET' }).reply(200, { version: 4 }, json);
    expect((await admin('GET', '/get_version/w-1')).json).toEqual({ version: 4 });
    router.intercept({ path: '/resolve_worker/nobody', method: 'GET' }).reply(404, {}, json);
    const unknown = await admin('POST', '/pause_generation/nobody');
    expect([unknown.status, unknown.json.code]).toEqual([404, 'WORKER_NOT_FOUND']);
  });
});
