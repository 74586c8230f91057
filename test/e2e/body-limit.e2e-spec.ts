import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runPython } from '../support/python.js';
import { spawnApp, spawnAttachedController, type SpawnedApp } from '../support/spawn-app.js';

const ADMIN = 'body-limit-admin';

/**
 * A client that sends a body over `--max-body-bytes` reads the 413, whatever it is: Python's
 * urllib writes the whole body before it reads the answer, so a server that closes the
 * connection at once gives it a broken pipe instead (each service now reads what is sent,
 * bounded, before closing).
 */
function pythonPost(url: string, bytes: number): Promise<string> {
  const script = `
import sys, urllib.request, urllib.error
body = b'{"x": "' + b'a' * ${bytes} + b'"}'
req = urllib.request.Request(sys.argv[1], data=body, method='POST',
                             headers={'content-type': 'application/json', 'authorization': 'Bearer ${ADMIN}'})
try:
    with urllib.request.urlopen(req, timeout=30) as r:
        print(r.status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception as e:
    print(type(e).__name__)
`;
  return runPython(['-c', script, url]).then((run) => (run.stdout + run.stderr).trim());
}

describe('oversized bodies: every service answers 413 that a Python client can read', () => {
  const apps: Record<string, SpawnedApp> = {};

  beforeAll(async () => {
    const limit = ['--max-body-bytes', '1048576'];
    apps.engine = await spawnApp('engine-sim', ['--decode-ms-per-token', '0', ...limit]);
    apps.router = await spawnApp('router', ['--admin-api-key', ADMIN, ...limit]);
    apps.proxy = await spawnApp('data-proxy', ['--admin-api-key', ADMIN, '--backend-addr', apps.engine.url, ...limit]);
    apps.gateway = await spawnApp('gateway', ['--admin-api-key', ADMIN, '--router-addr', apps.router.url, ...limit]);
    apps.controller = await spawnAttachedController(ADMIN, {
      gateway: apps.gateway,
      router: apps.router,
      dataProxies: [apps.proxy],
    });
  }, 60_000);

  afterAll(async () => {
    for (const name of ['controller', 'gateway', 'proxy', 'router', 'engine']) await apps[name]?.stop();
  });

  it.each([
    ['engine', '/generate'],
    ['router', '/register'],
    ['proxy', '/chat/completions'],
    ['gateway', '/v1/chat/completions'],
    ['controller', '/rollout/batch'],
  ])('%s %s: a 20 MB body gets 413', async (name, path) => {
    expect(await pythonPost(`${apps[name].url}${path}`, 20 * 1024 * 1024)).toBe('413');
  });
});
