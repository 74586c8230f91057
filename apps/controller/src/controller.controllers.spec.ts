import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MockPool } from 'undici';
import { BODYLESS_OPERATIONS, openApiGaps, startInProcess, type InProcessApp } from '@app/common/testing';
import { CONTROLLER_APP } from './controller.app.js';

const ADMIN = 'controller-admin';
const GATEWAY = 'http://gateway.test:8080';
const ROUTER = 'http://router.test:8081';
const PROXY = 'http://proxy.test:8082';
const json = { headers: { 'content-type': 'application/json' } };

/**
 * The controller's two controllers (control and rollout) and the trajectory delivery behind
 * `/trajectories/wait`, in-process in attach mode; the gateway, router and data proxy it drives are
 * an undici MockAgent. (Agent episodes themselves run against real processes in test/e2e/rollout.)
 */
describe('controller controllers (in-process, attach mode)', () => {
  let controller: InProcessApp;
  let gateway: MockPool;
  const admin = (method: 'GET' | 'POST', url: string, body?: unknown) =>
    controller.request(method, url, { body, token: ADMIN });
  const calls: { path: string; body: unknown }[] = [];
  const gatewayReplies = (path: string, status: number, reply: object, times = 1) =>
    gateway
      .intercept({ path, method: 'POST' })
      .reply((options) => {
        calls.push({ path, body: JSON.parse(typeof options.body === 'string' ? options.body : 'null') });
        return { statusCode: status, data: reply, responseOptions: json };
      })
      .times(times);

  beforeAll(async () => {
    controller = await startInProcess(CONTROLLER_APP, [
      '--admin-api-key',
      ADMIN,
      '--mode',
      'attach',
      '--gateway-addr',
      GATEWAY,
      '--router-addr',
      ROUTER,
      '--data-proxy-addrs',
      PROXY,
      '--poll-interval',
      '60',
    ]);
    gateway = controller.upstream.get(GATEWAY);
    const router = controller.upstream.get(ROUTER);
    for (const addr of [GATEWAY, ROUTER, PROXY])
      controller.upstream
        .get(addr)
        .intercept({ path: '/health', method: 'GET' })
        .reply(200, { status: 'ok' }, json)
        .persist();
    router
      .intercept({ path: '/workers', method: 'GET' })
      .reply(200, { workers: [{ worker_id: 'w-1', addr: PROXY }] }, json)
      .persist();
    router
      .intercept({ path: '/register', method: 'POST' })
      .reply(200, { status: 'ok', worker_id: 'w-1', router_instance: 'r' }, json);
    router.intercept({ path: '/capacity', method: 'GET' }).reply(200, { status: 'ok', capacity: 2 }, json).persist();
    gatewayReplies('/register_model', 200, { status: 'ok', model: 'default', data_proxy_addrs: [PROXY] });
    // The stack comes up once the controller listens (it announces its own address to the data proxies).
    await controller.app.listen({ port: 0, host: '127.0.0.1' });
    for (let i = 0; i < 100 && (await controller.request('GET', '/health/ready')).status !== 200; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
  });

  afterAll(async () => {
    await controller.close();
  });

  it('documents every operation: response schemas, request schemas, error bodies', async () => {
    const document = (await controller.request('GET', '/openapi.json')).json;
    expect(openApiGaps(document, BODYLESS_OPERATIONS)).toEqual([]);
  });

  it('ControllerControlController: status shows the attached stack; every endpoint needs the admin key', async () => {
    const status = await admin('GET', '/status');
    expect(status.json).toEqual(
      expect.objectContaining({
        state: 'ready',
        mode: 'attach',
        version: 0,
        paused: false,
        capacity: { status: 'ok', capacity: 2 },
      }),
    );
    expect(status.json.data_proxies).toEqual([expect.objectContaining({ addr: PROXY, worker_id: 'w-1' })]);
    expect((await controller.request('GET', '/status')).status).toBe(401);
    expect((await controller.request('GET', '/status', { token: 'nope' })).status).toBe(403);
  });

  it('ControllerControlController: set_version, pause, continue, offload, onload broadcast through the gateway per worker', async () => {
    gatewayReplies('/set_version/w-1', 200, { status: 'ok', version: 5 });
    const set = await admin('POST', '/set_version', { version: 5, strict: true });
    expect(set.json).toEqual({
      ok: true,
      results: [{ worker_id: 'w-1', data_proxy: PROXY, ok: true, status: 200, error: null }],
    });
    expect(calls.at(-1)).toEqual({ path: '/set_version/w-1', body: { version: 5 } });
    expect((await admin('GET', '/get_version')).json).toEqual({ version: 5 });
    expect((await admin('POST', '/set_version', { version: -1 })).status).toBe(400);
    expect((await admin('POST', '/set_version', [5])).json.code).toBe('VALIDATION_FAILED');

    gatewayReplies('/pause_generation/w-1', 200, { results: [{ ok: true }] });
    expect((await admin('POST', '/pause')).json.ok).toBe(true);
    expect((await admin('GET', '/status')).json.paused).toBe(true);
    gatewayReplies('/continue_generation/w-1', 200, { results: [{ ok: true }] });
    expect((await admin('POST', '/continue')).json.ok).toBe(true);
    // A worker that failed: the broadcast fails with every target's result.
    gatewayReplies('/release_memory_occupation/w-1', 200, { results: [{ ok: false, status: 409 }] });
    const offload = await admin('POST', '/offload', { strict: true });
    expect([offload.status, offload.json.results[0].ok]).toEqual([502, false]);
    gatewayReplies('/resume_memory_occupation/w-1', 200, { results: [{ ok: true }] });
    expect((await admin('POST', '/onload', { tags: ['weights'] })).json.ok).toBe(true);
    expect(calls.at(-1)!.body).toEqual({ tags: ['weights'] });
    expect((await admin('POST', '/onload', { tags: [''] })).status).toBe(400);
    expect((await admin('POST', '/pause', { strict: 'yes' })).status).toBe(400);
  });

  it('ControllerControlController: register_model and grant_capacity relay the gateway', async () => {
    gatewayReplies('/register_model', 200, { status: 'ok', model: 'm', data_proxy_addrs: [PROXY] });
    const registered = await admin('POST', '/register_model', { model: 'm' });
    expect(registered.json).toEqual({ status: 'ok', model: 'm', data_proxy_addrs: [PROXY] });
    expect(calls.at(-1)!.body).toEqual({ model: 'm', url: '', api_key: null, data_proxy_addrs: [PROXY] });
    expect((await admin('POST', '/register_model', {})).status).toBe(400);
    gatewayReplies('/grant_capacity', 429, { error: 'no', code: 'NO_CAPACITY' });
    expect((await admin('POST', '/grant_capacity')).status).toBe(429);
  });

  it('TrajectoryDeliveryService: ready notices are exported once each; a failed export is delivered as ok: false', async () => {
    expect((await admin('POST', '/callback/online_ready', { session_id: 'a', trajectory_id: 0 })).json).toEqual({
      status: 'ok',
      queued: true,
    });
    expect((await admin('POST', '/callback/online_ready', { session_id: 'a', trajectory_id: 0 })).json.queued).toBe(
      false,
    );
    await admin('POST', '/callback/online_ready', { session_id: 'b', trajectory_id: 0 });
    expect((await admin('POST', '/callback/online_ready', { session_id: '', trajectory_id: 0 })).status).toBe(400);
    gateway
      .intercept({ path: '/export_trajectories', method: 'POST', body: (b) => JSON.parse(b).session_id === 'a' })
      .reply(200, { interactions: { i: { reward: 1 } } }, json);
    gateway
      .intercept({ path: '/export_trajectories', method: 'POST', body: (b) => JSON.parse(b).session_id === 'b' })
      .reply(404, { error: 'gone' }, json);
    const waited = await admin('POST', '/trajectories/wait', { count: 2, timeout_s: 1, schema: 'interactions' });
    expect(waited.json.timed_out).toBe(false);
    expect(waited.json.trajectories).toEqual([
      expect.objectContaining({ session_id: 'a', ok: true, interactions: { i: { reward: 1 } } }),
      expect.objectContaining({ session_id: 'b', ok: false, status: 404 }),
    ]);
    const none = await admin('POST', '/trajectories/wait', { count: 1, timeout_s: 0 });
    expect(none.json).toEqual({ trajectories: [], timed_out: true });
    expect((await admin('POST', '/trajectories/wait', { format: 'xml' })).status).toBe(400);
  });

  it('RolloutController: status, capacity, reset, waits; bad requests are refused before any episode starts', async () => {
    const status = (await admin('GET', '/rollout/status')).json;
    expect(status).toEqual(expect.objectContaining({ queued: 0, pooled: 0, streams: [] }));
    const capacity = (await admin('GET', '/capacity')).json;
    expect(capacity).toEqual(expect.objectContaining({ router_permits: 2, capacity: expect.any(Number) }));
    expect((await admin('POST', '/rollout/reset')).json).toEqual({ status: 'ok', streams_reset: 0 });
    expect((await admin('POST', '/rollout/wait', { count: 1, timeout_s: 0 })).json).toEqual({
      results: [],
      timed_out: true,
    });
    expect((await admin('POST', '/rollout/wait_for_task', { task_id: 99, timeout_s: 0 })).status).toBe(404);
    expect((await admin('POST', '/rollout/submit', { data: {}, agent: 'examples/nope.mjs' })).status).toBe(400);
    expect((await admin('POST', '/rollout/batch', { items: [], agent: 'examples/math-agent/agent.mjs' })).status).toBe(
      400,
    );
    expect((await admin('POST', '/rollout/prepare_batch', { batch_size: 0 })).status).toBe(400);
    expect((await admin('POST', '/rollout/batch', '[1]')).json.code).toBe('VALIDATION_FAILED');
  });
});
