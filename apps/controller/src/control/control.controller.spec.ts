import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { PROXY, startAttachedController, type AttachedController } from '../controller.fixtures.js';
import { ControllerControlController } from './control.controller.js';

/** The trainer's control API, in-process in attach mode over a mocked gateway, router and data proxy. */
describe(ControllerControlController.name, () => {
  const controller = appForSuite(startAttachedController);
  const admin: AttachedController['admin'] = (...args) => controller().admin(...args);
  const lastCall = () => controller().calls.at(-1);

  describe('GET /status', () => {
    it('refuses a call without a key', async () => {
      expect((await controller().app.request('GET', '/status')).status).toBe(401);
    });

    it('refuses a key that is not the admin key', async () => {
      expect((await controller().app.request('GET', '/status', { token: 'nope' })).status).toBe(403);
    });

    it('shows the attached stack: ready, not paused, version 0, the router capacity', async () => {
      expect((await admin('GET', '/status')).json).toEqual(
        expect.objectContaining({
          state: 'ready',
          mode: 'attach',
          version: 0,
          paused: false,
          capacity: { status: 'ok', capacity: 2 },
        }),
      );
    });

    it('lists the data proxies with the worker id the router gave them', async () => {
      expect((await admin('GET', '/status')).json.data_proxies).toEqual([
        expect.objectContaining({ addr: PROXY, worker_id: 'w-1' }),
      ]);
    });
  });

  describe('POST /set_version', () => {
    it('sends the version to each worker through the gateway and reports every result', async () => {
      controller().gatewayReplies('/set_version/w-1', 200, { status: 'ok', version: 5 });
      const set = await admin('POST', '/set_version', { version: 5, strict: true });
      expect(set.json).toEqual({
        ok: true,
        results: [{ worker_id: 'w-1', data_proxy: PROXY, ok: true, status: 200, error: null }],
      });
      expect(lastCall()).toEqual({ path: '/set_version/w-1', body: { version: 5 } });
    });

    it('is what GET /get_version answers afterwards', async () => {
      controller().gatewayReplies('/set_version/w-1', 200, { status: 'ok', version: 6 });
      await admin('POST', '/set_version', { version: 6 });
      expect((await admin('GET', '/get_version')).json).toEqual({ version: 6 });
    });

    it('refuses a negative version with 400', async () => {
      expect((await admin('POST', '/set_version', { version: -1 })).status).toBe(400);
    });

    it('refuses a body that is not an object with VALIDATION_FAILED', async () => {
      expect((await admin('POST', '/set_version', [5])).json.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('POST /pause', () => {
    it('pauses generation on each worker and shows the stack paused', async () => {
      controller().gatewayReplies('/pause_generation/w-1', 200, { results: [{ ok: true }] });
      expect((await admin('POST', '/pause')).json.ok).toBe(true);
      expect((await admin('GET', '/status')).json.paused).toBe(true);
    });

    it('refuses a strict that is not a boolean', async () => {
      expect((await admin('POST', '/pause', { strict: 'yes' })).status).toBe(400);
    });
  });

  describe('POST /continue', () => {
    it('continues generation on each worker and shows the stack running', async () => {
      controller().gatewayReplies('/continue_generation/w-1', 200, { results: [{ ok: true }] });
      expect((await admin('POST', '/continue')).json.ok).toBe(true);
      expect((await admin('GET', '/status')).json.paused).toBe(false);
    });

    it('is also served as POST /resume', async () => {
      controller().gatewayReplies('/continue_generation/w-1', 200, { results: [{ ok: true }] });
      expect((await admin('POST', '/resume')).json.ok).toBe(true);
      expect(lastCall()!.path).toBe('/continue_generation/w-1');
    });
  });

  describe('POST /offload', () => {
    it('answers 502 with every worker result when one fails under strict', async () => {
      controller().gatewayReplies('/release_memory_occupation/w-1', 200, { results: [{ ok: false, status: 409 }] });
      const offload = await admin('POST', '/offload', { strict: true });
      expect([offload.status, offload.json.results[0].ok]).toEqual([502, false]);
    });
  });

  describe('POST /onload', () => {
    it('forwards the tags to each worker', async () => {
      controller().gatewayReplies('/resume_memory_occupation/w-1', 200, { results: [{ ok: true }] });
      expect((await admin('POST', '/onload', { tags: ['weights'] })).json.ok).toBe(true);
      expect(lastCall()).toEqual({ path: '/resume_memory_occupation/w-1', body: { tags: ['weights'] } });
    });

    it('refuses an empty tag with 400', async () => {
      expect((await admin('POST', '/onload', { tags: [''] })).status).toBe(400);
    });
  });

  describe('POST /register_model', () => {
    it("relays the gateway's answer", async () => {
      controller().gatewayReplies('/register_model', 200, { status: 'ok', model: 'm', data_proxy_addrs: [PROXY] });
      expect((await admin('POST', '/register_model', { model: 'm' })).json).toEqual({
        status: 'ok',
        model: 'm',
        data_proxy_addrs: [PROXY],
      });
    });

    it("sends the stack's data proxies when the body names none", async () => {
      controller().gatewayReplies('/register_model', 200, { status: 'ok', model: 'm', data_proxy_addrs: [PROXY] });
      await admin('POST', '/register_model', { model: 'm' });
      expect(lastCall()!.body).toEqual({ model: 'm', url: '', api_key: null, data_proxy_addrs: [PROXY] });
    });

    it('refuses a body without a model with 400', async () => {
      expect((await admin('POST', '/register_model', {})).status).toBe(400);
    });
  });

  describe('POST /grant_capacity', () => {
    it("relays the gateway's status", async () => {
      controller().gatewayReplies('/grant_capacity', 429, { error: 'no', code: 'NO_CAPACITY' });
      expect((await admin('POST', '/grant_capacity')).status).toBe(429);
    });
  });
});

/** The ready queue behind /callback/online_ready and its delivery through /trajectories/wait (a fresh queue). */
describe(`${ControllerControlController.name}: ready trajectories`, () => {
  const controller = appForSuite(startAttachedController);
  const admin: AttachedController['admin'] = (...args) => controller().admin(...args);
  const exportAnswers = (sessionId: string, status: number, reply: object) =>
    controller()
      .gateway.intercept({
        path: '/export_trajectories',
        method: 'POST',
        body: (b) => (JSON.parse(b) as { session_id: string }).session_id === sessionId,
      })
      .reply(status, reply, { headers: { 'content-type': 'application/json' } });

  // The queue starts empty: the waits run first, each draining what it queued.
  describe('POST /trajectories/wait', () => {
    it('exports each queued trajectory; a failed export is delivered as ok: false', async () => {
      await admin('POST', '/callback/online_ready', { session_id: 'a', trajectory_id: 0 });
      await admin('POST', '/callback/online_ready', { session_id: 'b', trajectory_id: 0 });
      exportAnswers('a', 200, { interactions: { i: { reward: 1 } } });
      exportAnswers('b', 404, { error: 'gone' });
      const waited = await admin('POST', '/trajectories/wait', { count: 2, timeout_s: 1, schema: 'interactions' });
      expect(waited.json.timed_out).toBe(false);
      expect(waited.json.trajectories).toEqual([
        expect.objectContaining({ session_id: 'a', ok: true, interactions: { i: { reward: 1 } } }),
        expect.objectContaining({ session_id: 'b', ok: false, status: 404 }),
      ]);
    });

    it('times out with nothing when nothing is ready', async () => {
      expect((await admin('POST', '/trajectories/wait', { count: 1, timeout_s: 0 })).json).toEqual({
        trajectories: [],
        timed_out: true,
      });
    });

    it('refuses an unknown format with 400', async () => {
      expect((await admin('POST', '/trajectories/wait', { format: 'xml' })).status).toBe(400);
    });
  });

  describe('POST /callback/online_ready', () => {
    it('queues a ready trajectory', async () => {
      expect((await admin('POST', '/callback/online_ready', { session_id: 'c', trajectory_id: 0 })).json).toEqual({
        status: 'ok',
        queued: true,
      });
    });

    it('queues a trajectory only once', async () => {
      await admin('POST', '/callback/online_ready', { session_id: 'd', trajectory_id: 0 });
      expect((await admin('POST', '/callback/online_ready', { session_id: 'd', trajectory_id: 0 })).json.queued).toBe(
        false,
      );
    });

    it('refuses an empty session id with 400', async () => {
      expect((await admin('POST', '/callback/online_ready', { session_id: '', trajectory_id: 0 })).status).toBe(400);
    });
  });
});
