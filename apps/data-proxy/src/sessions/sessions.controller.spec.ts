import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { startDataProxy, type TestDataProxy } from '../data-proxy.fixtures.js';
import { DataProxySessionsController } from './sessions.controller.js';

describe(DataProxySessionsController.name, () => {
  const proxy = appForSuite(startDataProxy);
  const admin: TestDataProxy['admin'] = (...args) => proxy().admin(...args);

  describe('POST /rl/start_session', () => {
    it('answers 201 with the session id and its key', async () => {
      const started = await admin('POST', '/rl/start_session', { task_id: 'task' });
      expect([started.status, started.json]).toEqual([
        201,
        expect.objectContaining({ session_id: expect.any(String), api_key: expect.any(String) }),
      ]);
    });

    it('refuses a body that is not JSON with 400', async () => {
      expect((await admin('POST', '/rl/start_session', 'nope')).status).toBe(400);
    });

    it('refuses a body that is not an object with VALIDATION_FAILED', async () => {
      expect((await admin('POST', '/rl/start_session', [1])).json.code).toBe('VALIDATION_FAILED');
    });

    it('refuses a call without the admin key with 401', async () => {
      expect((await proxy().app.request('POST', '/rl/start_session', { body: { task_id: 't' } })).status).toBe(401);
    });
  });

  describe('GET /rl/sessions/:session_id', () => {
    it('shows each interaction with its output tokens and their log-probs', async () => {
      const { sessionId } = await proxy().oneTurnSession([9707, 0]);
      expect((await admin('GET', `/rl/sessions/${sessionId}`)).json.interactions[0]).toEqual(
        expect.objectContaining({
          output_ids: [9707, 0],
          output_logprobs: [expect.closeTo(-0.1, 5), expect.closeTo(-0.2, 5)],
        }),
      );
    });

    it('answers 404 for an unknown session', async () => {
      expect((await admin('GET', '/rl/sessions/nobody')).status).toBe(404);
    });
  });

  describe('POST /rl/remove_session', () => {
    it('removes the sessions it knows and names them', async () => {
      const { session_id: sessionId } = (await admin('POST', '/rl/start_session', { task_id: 'gone' })).json as {
        session_id: string;
      };
      expect((await admin('POST', '/rl/remove_session', { session_ids: [sessionId, 'nobody'] })).json).toEqual({
        status: 'ok',
        removed: [sessionId],
      });
      expect((await admin('GET', `/rl/sessions/${sessionId}`)).status).toBe(404);
    });
  });
});
