import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { request } from 'undici';
import { ADMIN, startRouter, withWorker, WORKER } from '../router.fixtures.js';
import { PinsController } from './pins.controller.js';

describe(PinsController.name, () => {
  let url = '';
  const router = appForSuite(async () => {
    const started = await startRouter();
    await withWorker(started);
    // A stream never ends, so it is read over a real socket rather than through inject.
    await started.app.app.listen({ port: 0, host: '127.0.0.1' });
    const address = started.app.app.getHttpServer().address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/pins/events`;
    return started;
  });

  /** Reads the stream until `until` appears in it (or it ends), while `act` runs. */
  async function streamed(until: string, act: () => Promise<unknown> = () => Promise.resolve()): Promise<string> {
    const abort = new AbortController();
    const res = await request(url, { headers: { authorization: `Bearer ${ADMIN}` }, signal: abort.signal });
    expect(res.headers['content-type']).toContain('text/event-stream');
    let text = '';
    const reading = (async () => {
      for await (const chunk of res.body) {
        text += String(chunk);
        if (text.includes(until)) break;
      }
    })().catch(() => undefined);
    await act();
    await reading;
    abort.abort();
    return text;
  }

  describe('GET /pins/events', () => {
    it('refuses a call without the admin key', async () => {
      expect((await router().app.request('GET', '/pins/events')).status).toBe(401);
    });

    it('opens with a hello event carrying the sequence number', async () => {
      expect(await streamed('hello')).toMatch(/^data: \{"type":"hello","seq":\d+\}/);
    });

    it('reports an unpinned session as an invalidate event', async () => {
      const text = await streamed('invalidate', async () => {
        await router().admin('POST', '/grant_capacity');
        await router().admin('POST', '/register_session', {
          session_api_key: 'key-3',
          session_id: 'session-3',
          worker_addr: WORKER,
        });
        await router().admin('POST', '/remove_session', { session_id: 'session-3' });
      });
      expect(text).toContain('"type":"invalidate"');
    });
  });
});
