import type { MockPool } from 'undici';
import { startInProcess, type InjectedResponse, type InProcessApp } from '@app/common/testing';
import { GATEWAY_APP } from './gateway.app.js';

export const ADMIN = 'gateway-admin';
export const ROUTER = 'http://router.test:8081';
export const PROXY_A = 'http://proxy-a.test:8082';
export const PROXY_B = 'http://proxy-b.test:8082';
export const json = { headers: { 'content-type': 'application/json' } };
/** The router's answer to /route that sends a request to PROXY_A. */
export const ROUTED_TO_A = { worker_addr: PROXY_A, worker_id: 'w', url: null, api_key: null, pin_seq: 1 };

export interface TestGateway {
  app: InProcessApp;
  router: MockPool;
  proxyA: MockPool;
  proxyB: MockPool;
  /** A call with the admin key. */
  admin(method: 'GET' | 'POST', url: string, body?: unknown): Promise<InjectedResponse>;
  /** Answers the next `times` POSTs to `path` on `pool` with 200 `reply`, keeping their bodies in `received`. */
  recordPosts(pool: MockPool, path: string, reply?: object, times?: number): void;
  /** Bodies that `recordPosts` kept, by path. */
  received: Record<string, unknown[]>;
  close(): Promise<void>;
}

/**
 * The gateway in-process through Fastify's inject (pin cache off, so that every request asks the
 * router), with the router and two data proxies as an undici MockAgent.
 */
export async function startGateway(): Promise<TestGateway> {
  const app = await startInProcess(GATEWAY_APP, [
    '--admin-api-key',
    ADMIN,
    '--router-addr',
    ROUTER,
    '--pin-cache',
    'false',
  ]);
  const received: Record<string, unknown[]> = {};
  return {
    app,
    router: app.upstream.get(ROUTER),
    proxyA: app.upstream.get(PROXY_A),
    proxyB: app.upstream.get(PROXY_B),
    admin: (method, url, body) => app.request(method, url, { body, token: ADMIN }),
    recordPosts(pool, path, reply = { status: 'ok' }, times = 1) {
      pool
        .intercept({ path, method: 'POST' })
        .reply((options) => {
          (received[path] ??= []).push(JSON.parse(typeof options.body === 'string' ? options.body : 'null'));
          return { statusCode: 200, data: reply, responseOptions: json };
        })
        .times(times);
    },
    received,
    close: () => app.close(),
  };
}
