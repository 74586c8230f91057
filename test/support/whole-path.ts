import { expect } from '@jest/globals';
import { call, type HttpAnswer } from './http.js';
import type { ExportRow } from './export-rows.js';
import { spawnApp, spawnEngineSim, type SpawnedApp } from './spawn-app.js';

export interface Session {
  session_id: string;
  api_key: string;
}

/** The whole request path as real processes: gateway → router → data proxy → engine-sim. */
export interface WholePath {
  engine: SpawnedApp;
  router: SpawnedApp;
  proxy: SpawnedApp;
  gateway: SpawnedApp;
  /** A call to the gateway with the admin key. */
  admin(method: string, path: string, body?: unknown): Promise<HttpAnswer>;
  /** Grants a slot and starts a session for `task` through the gateway. */
  startSession(task: string): Promise<Session>;
  /** Sets the session's reward (`reward` body: `{ reward }` or `{ rewards }`), exports its trajectory as JSON, and returns the rows by interaction id. */
  rewardAndExport(session: Session, reward: Record<string, unknown>): Promise<Record<string, ExportRow>>;
  stop(): Promise<void>;
}

/** A data proxy in front of `engineUrl`, with `flags` beside the admin key and the engine address. */
export function spawnDataProxy(adminKey: string, engineUrl: string, flags: string[] = []): Promise<SpawnedApp> {
  return spawnApp('data-proxy', ['--admin-api-key', adminKey, '--backend-addr', engineUrl, ...flags]);
}

/** Starts a session straight at a data proxy (no gateway, no capacity grant). */
export async function startProxySession(proxyUrl: string, adminKey: string, task: string): Promise<Session> {
  const res = await call('POST', `${proxyUrl}/rl/start_session`, { body: { task_id: task }, token: adminKey });
  expect(res.status).toBe(201);
  return res.json as Session;
}

/**
 * Starts engine-sim (`decodeMs` per token, `engineFlags`), a router, a data proxy registered with
 * it and set to weight `version`, and a gateway in front, one after the other (a busy machine starts
 * them slowly); `stop` ends them in the reverse order.
 */
export async function startWholePath(
  adminKey: string,
  engine: { decodeMs: number; flags?: string[] },
  version: number,
): Promise<WholePath> {
  const started: SpawnedApp[] = [];
  const stop = async (): Promise<void> => {
    for (const app of started.reverse()) await app.stop();
  };
  try {
    const sim = await spawnEngineSim(engine.decodeMs, engine.flags);
    started.push(sim);
    const router = await spawnApp('router', ['--admin-api-key', adminKey]);
    started.push(router);
    const proxy = await spawnDataProxy(adminKey, sim.url);
    started.push(proxy);
    const gateway = await spawnApp('gateway', ['--admin-api-key', adminKey, '--router-addr', router.url]);
    started.push(gateway);
    await call('POST', `${router.url}/register`, { body: { worker_addr: proxy.url }, token: adminKey });
    await call('POST', `${proxy.url}/set_version`, { body: { version }, token: adminKey });
    const admin = (method: string, path: string, body?: unknown): Promise<HttpAnswer> =>
      call(method, `${gateway.url}${path}`, { body, token: adminKey });
    return {
      engine: sim,
      router,
      proxy,
      gateway,
      admin,
      startSession: async (task) => {
        await admin('POST', '/grant_capacity');
        const res = await admin('POST', '/rl/start_session', { task_id: task });
        expect(res.status).toBe(201);
        return res.json as Session;
      },
      rewardAndExport: async (session, reward) => {
        const rewarded = await call('POST', `${gateway.url}/rl/set_reward`, { body: reward, token: session.api_key });
        expect(rewarded.status).toBe(200);
        const exported = await admin('POST', '/export_trajectories', {
          session_id: session.session_id,
          trajectory_id: rewarded.json.trajectory_id,
          format: 'json',
          discount: 1,
        });
        expect(exported.status).toBe(200);
        return exported.json.interactions as Record<string, ExportRow>;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * The row's output tokens are what the engine produces for its prompt: replayed on the engine at
 * `temperature`, the same ids with the same log-probs (as float32, as rows store them). Returns
 * the prompt's length in the row.
 */
export async function expectReplaysOnEngine(engineUrl: string, row: ExportRow, temperature = 0): Promise<number> {
  const promptLength = row.loss_mask.indexOf(1);
  expect(promptLength).toBeGreaterThan(0);
  const outputIds = row.input_ids.slice(promptLength);
  const replay = await call('POST', `${engineUrl}/generate`, {
    body: {
      input_ids: row.input_ids.slice(0, promptLength),
      sampling_params: { temperature, max_new_tokens: outputIds.length },
      return_logprob: true,
    },
  });
  const produced = replay.json.meta_info.output_token_logprobs as [number, number][];
  expect(produced.map(([, id]) => id)).toEqual(outputIds);
  expect(row.logprobs.slice(promptLength)).toEqual(produced.map(([logprob]) => Math.fround(logprob)));
  return promptLength;
}
