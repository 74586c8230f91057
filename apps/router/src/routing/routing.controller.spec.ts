import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AppException } from '@app/common';
import { RouteRequestDto } from '@app/contracts';
import { startRouter, withWorker, WORKER } from '../router.fixtures.js';
import { parseRouteRequest, RoutingController } from './routing.controller.js';

/** Whether the hand-written `/route` parser takes the body (it answers 422 otherwise). */
function parserAccepts(body: Record<string, unknown>): boolean {
  try {
    parseRouteRequest(body);
    return true;
  } catch (err) {
    if (err instanceof AppException && err.getStatus() === 422) return false;
    throw err;
  }
}

function dtoAccepts(body: Record<string, unknown>): boolean {
  return validateSync(plainToInstance(RouteRequestDto, body)).length === 0;
}

describe('parseRouteRequest', () => {
  // The DTO's limits, read back through what it accepts: 1024 for keys and paths, 512 for ids and models.
  const limits = { api_key: 1024, path: 1024, session_id: 512, model: 512 };

  it.each(Object.entries(limits))(
    '%s: accepts and refuses the same lengths and types as RouteRequestDto',
    (field, max) => {
      const bodies = [
        { [field]: 'x'.repeat(max) },
        { [field]: 'x'.repeat(max + 1) },
        { [field]: '' },
        { [field]: null },
        { [field]: 5 },
        { [field]: ['x'] },
      ];
      expect(bodies.map(parserAccepts)).toEqual(bodies.map(dtoAccepts));
      expect(bodies.map(parserAccepts)).toEqual([true, false, true, true, false, false]);
    },
  );
});

describe(RoutingController.name, () => {
  const router = appForSuite(async () => {
    const started = await startRouter();
    await withWorker(started, 1);
    await started.admin('POST', '/register_session', {
      session_api_key: 'key-1',
      session_id: 'session-1',
      worker_addr: WORKER,
    });
    return started;
  });
  const route = (body: unknown) => router().admin('POST', '/route', body);

  describe('POST /route', () => {
    it('refuses a call without the admin key', async () => {
      expect((await router().app.request('POST', '/route', { body: { api_key: 'key-1' } })).status).toBe(401);
    });

    it("routes a session key to its session's worker", async () => {
      expect((await route({ api_key: 'key-1' })).json).toEqual(
        expect.objectContaining({ worker_addr: WORKER, session_id: 'session-1' }),
      );
    });

    it("routes a session id to its session's worker", async () => {
      expect((await route({ session_id: 'session-1' })).json.worker_addr).toBe(WORKER);
    });

    it('answers 404 UNKNOWN_API_KEY for a key no session holds', async () => {
      const res = await route({ api_key: 'nobody' });
      expect([res.status, res.json.code]).toEqual([404, 'UNKNOWN_API_KEY']);
    });

    it('answers 404 SESSION_NOT_FOUND for an unknown session id', async () => {
      const res = await route({ session_id: 'nobody' });
      expect([res.status, res.json.code]).toEqual([404, 'SESSION_NOT_FOUND']);
    });

    it('answers 404 MODEL_NOT_FOUND for an unknown model', async () => {
      const res = await route({ model: 'nobody' });
      expect([res.status, res.json.code]).toEqual([404, 'MODEL_NOT_FOUND']);
    });

    it('refuses a key that is not a string with 422', async () => {
      expect((await route({ api_key: 5 })).status).toBe(422);
    });
  });
});
