import { describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../support/wait.js';
import { call } from '../support/http.js';
import { BODYLESS_OPERATIONS, openApiGaps } from '@app/common/testing';
import { runApp, spawnApp } from '../support/spawn-app.js';

/** Every app boots from dist/ with the shared bootstrap: health, readiness, metrics, docs, flags, shutdown. */
describe.each(['gateway', 'data-proxy', 'controller', 'engine-sim', 'router'])('%s process', (app) => {
  it('starts, serves /health, /health/ready, /metrics, /docs and /openapi.json, and stops cleanly', async () => {
    // The gateway is ready only while its router answers, so it gets one; the data proxy only
    // while its engine answers, so it gets one too.
    // The controller launches a stack of its own (one engine-sim); it is ready once that is up.
    const router = app === 'gateway' ? await spawnApp('router', ['--admin-api-key', 'boot-test-key']) : undefined;
    const engine = app === 'data-proxy' ? await spawnApp('engine-sim') : undefined;
    const proc = await spawnApp(app, [
      '--admin-api-key',
      'boot-test-key',
      ...(router ? ['--router-addr', router.url] : []),
      ...(engine ? ['--backend-addr', engine.url] : []),
      ...(app === 'controller' ? ['--gateway-port', '0', '--log-dir', mkdtempSync(join(tmpdir(), 'boot-'))] : []),
    ]);
    try {
      if (app === 'controller')
        await waitFor(async () => (await call('GET', `${proc.url}/health/ready`)).status === 200, 30_000);
      const health = await call('GET', `${proc.url}/health`);
      expect(health.status).toBe(200);
      // engine-sim answers /health as SGLang and vLLM do: 200 with an empty body.
      if (app === 'engine-sim') expect(health.text).toBe('');
      else expect(health.json.status).toBe('ok');
      expect((await call('GET', `${proc.url}/health/ready`)).status).toBe(200);
      expect((await call('GET', `${proc.url}/metrics`)).text).toContain('http_requests_total');
      expect((await call('GET', `${proc.url}/docs`)).status).toBe(200);
      const document = (await call('GET', `${proc.url}/openapi.json`)).json;
      expect(document.openapi).toMatch(/^3\./);
      // Every operation documents its answer (and its errors' bodies); every one that reads a body, its body.
      expect(openApiGaps(document, BODYLESS_OPERATIONS)).toEqual([]);
      if (engine) {
        await engine.stop();
        const notReady = await call('GET', `${proc.url}/health/ready`);
        expect(notReady.status).toBe(503);
        expect(notReady.json.error.engine.status).toBe('down');
      }
    } finally {
      expect(await proc.stop()).toBe(0);
      await router?.stop();
      await engine?.stop();
    }
  });

  it('exits non-zero naming the flag on an invalid value', async () => {
    const res = await runApp(app, ['--port', 'eighty']);
    expect(res.code).not.toBe(0);
    expect(res.output).toContain('--port');
  });

  it('refuses an unknown flag with exit 2, naming the closest known one (a typo never starts it on defaults)', async () => {
    const res = await runApp(app, ['--admin-api-ky', 'secret']);
    expect(res.code).toBe(2);
    expect(res.output).toContain('--admin-api-ky: unknown flag (did you mean --admin-api-key?)');
  });
});
