// The whole path gateway → router → data proxy → engine-sim (0 ms per token, 64-token answers),
// started for the scenarios that compare agent APIs on it (apis, generate): one place for the
// flags, the registration and the per-API sessions, so both scenarios measure the same stack.
import { startService } from './processes.mjs';

/**
 * Starts the four services and registers the data proxy with the router. `startSession(task)`
 * grants one capacity permit and starts a session through the gateway (its JSON answer, with
 * the session's `api_key`); `stop()` stops the services, gateway first.
 */
export async function startWholePath(adminKey) {
  const engine = await startService('engine-sim', [
    '--decode-ms-per-token',
    '0',
    '--prefill-us-per-token',
    '0',
    '--min-output-tokens',
    '64',
    '--max-output-tokens',
    '64',
    '--max-running',
    '1024',
  ]);
  const proxy = await startService('data-proxy', ['--admin-api-key', adminKey, '--backend-addr', engine.url]);
  const router = await startService('router', ['--admin-api-key', adminKey, '--poll-interval', '60']);
  const gateway = await startService('gateway', ['--admin-api-key', adminKey, '--router-addr', router.url]);
  const stop = async () => {
    await gateway.stop();
    await router.stop();
    await proxy.stop();
    await engine.stop();
  };
  const admin = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
  try {
    await fetch(`${router.url}/register`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ worker_addr: proxy.url }),
    }).then((r) => r.arrayBuffer());
  } catch (error) {
    await stop();
    throw error;
  }
  const startSession = async (task) => {
    await fetch(`${router.url}/grant_capacity`, { method: 'POST', headers: admin }).then((r) => r.arrayBuffer());
    return fetch(`${gateway.url}/rl/start_session`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ task_id: task }),
    }).then((r) => r.json());
  };
  return { engine, proxy, router, gateway, startSession, stop };
}
