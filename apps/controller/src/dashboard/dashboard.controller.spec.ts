import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { request } from 'undici';
import { ADMIN, startAttachedController } from '../controller.fixtures.js';
import { ControllerDashboardController } from './dashboard.controller.js';

/** The live dashboard: an open page and its assets, and a snapshot stream for the admin key. */
describe(ControllerDashboardController.name, () => {
  const controller = appForSuite(startAttachedController);

  describe('GET /dashboard', () => {
    it('serves the page as HTML without a key', async () => {
      const res = await controller().app.request('GET', '/dashboard');
      expect([res.status, res.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8']);
      expect(res.text).toContain('<!doctype html>');
    });
  });

  describe('GET /dashboard/assets/:file', () => {
    it("serves the page's style without a key", async () => {
      const res = await controller().app.request('GET', '/dashboard/assets/dashboard.css');
      expect([res.status, res.headers['content-type']]).toEqual([200, expect.stringContaining('text/css')]);
    });

    it('serves the chart library from the installed package', async () => {
      expect((await controller().app.request('GET', '/dashboard/assets/uPlot.iife.min.js')).status).toBe(200);
    });

    it('answers 404 for any other file of those folders', async () => {
      expect((await controller().app.request('GET', '/dashboard/assets/index.html')).status).toBe(404);
    });
  });

  describe('GET /dashboard/events', () => {
    it('refuses a call without the admin key', async () => {
      expect((await controller().app.request('GET', '/dashboard/events')).status).toBe(401);
    });

    it('streams a snapshot of the stack at once', async () => {
      // A stream never ends, so this one goes over the socket the fixture listens on.
      const address = controller().app.app.getHttpServer().address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const abort = new AbortController();
      const res = await request(`http://127.0.0.1:${port}/dashboard/events`, {
        headers: { authorization: `Bearer ${ADMIN}` },
        signal: abort.signal,
      });
      expect(res.headers['content-type']).toContain('text/event-stream');
      let text = '';
      try {
        for await (const chunk of res.body) {
          text += String(chunk);
          if (text.includes('\n\n')) break;
        }
      } finally {
        abort.abort();
      }
      const snapshot = JSON.parse(/^data: (.*)\n\n/.exec(text)![1]) as { stack: unknown; data_proxies: unknown[] };
      expect(snapshot).toEqual(expect.objectContaining({ stack: expect.any(Object), data_proxies: expect.any(Array) }));
    });
  });
});
