import { startInProcess, type InjectedResponse, type InProcessApp } from '@app/common/testing';
import { ROUTER_APP } from './router.app.js';

export const ADMIN = 'router-admin';
/** A data proxy that answers its health checks (an undici MockAgent). */
export const WORKER = 'http://data-proxy.test:8082';

export interface TestRouter {
  app: InProcessApp;
  /** A call with the admin key. */
  admin(method: 'GET' | 'POST', url: string, body?: unknown): Promise<InjectedResponse>;
  close(): Promise<void>;
}

/**
 * The router in-process (the real module, guards, pipes and filters, called through Fastify's
 * inject); WORKER answers its health checks. `args` adds flags.
 */
export async function startRouter(args: string[] = []): Promise<TestRouter> {
  const app = await startInProcess(ROUTER_APP, ['--admin-api-key', ADMIN, '--poll-interval', '60', ...args]);
  app.upstream.get(WORKER).intercept({ path: '/health', method: 'GET' }).reply(200, { status: 'ok' }).persist();
  return {
    app,
    admin: (method, url, body) => app.request(method, url, { body, token: ADMIN }),
    close: () => app.close(),
  };
}

/** Registers WORKER and grants `permits` capacity permits, for tests that pin sessions. */
export async function withWorker(router: TestRouter, permits = 0): Promise<void> {
  await router.admin('POST', '/register', { worker_addr: WORKER });
  for (let i = 0; i < permits; i++) await router.admin('POST', '/grant_capacity');
}
