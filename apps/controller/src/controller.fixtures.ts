import type { MockPool } from 'undici';
import { startInProcess, type InjectedResponse, type InProcessApp } from '@app/common/testing';
import { CONTROLLER_APP } from './controller.app.js';

export const ADMIN = 'controller-admin';
export const GATEWAY = 'http://gateway.test:8080';
export const ROUTER = 'http://router.test:8081';
export const PROXY = 'http://proxy.test:8082';
const json = { headers: { 'content-type': 'application/json' } };

export interface AttachedController {
  app: InProcessApp;
  /** The gateway the controller drives: intercept what it will be asked. */
  gateway: MockPool;
  /** Every call `gatewayReplies` answered, in order, with its parsed body. */
  calls: { path: string; body: unknown }[];
  /** Answers the next `times` POSTs to `path` on the gateway, recording them in `calls`. */
  gatewayReplies(path: string, status: number, reply: object, times?: number): void;
  /** A call with the admin key. */
  admin(method: 'GET' | 'POST', url: string, body?: unknown): Promise<InjectedResponse>;
  close(): Promise<void>;
}

/**
 * The controller in-process in attach mode, ready, over one gateway, one router and one data
 * proxy that are an undici MockAgent: the router lists one worker (`w-1` at PROXY) and two
 * permits; everything answers its health check. Agent episodes themselves run against real
 * processes in test/e2e/rollout.
 */
export async function startAttachedController(): Promise<AttachedController> {
  const app = await startInProcess(CONTROLLER_APP, [
    '--admin-api-key',
    ADMIN,
    '--mode',
    'attach',
    '--gateway-addr',
    GATEWAY,
    '--router-addr',
    ROUTER,
    '--data-proxy-addrs',
    PROXY,
    '--poll-interval',
    '60',
  ]);
  const gateway = app.upstream.get<MockPool>(GATEWAY);
  const calls: { path: string; body: unknown }[] = [];
  const gatewayReplies = (path: string, status: number, reply: object, times = 1): void => {
    gateway
      .intercept({ path, method: 'POST' })
      .reply((options) => {
        calls.push({ path, body: JSON.parse(typeof options.body === 'string' ? options.body : 'null') });
        return { statusCode: status, data: reply, responseOptions: json };
      })
      .times(times);
  };
  const router = app.upstream.get(ROUTER);
  for (const addr of [GATEWAY, ROUTER, PROXY])
    app.upstream.get(addr).intercept({ path: '/health', method: 'GET' }).reply(200, { status: 'ok' }, json).persist();
  router
    .intercept({ path: '/workers', method: 'GET' })
    .reply(200, { workers: [{ worker_id: 'w-1', addr: PROXY }] }, json)
    .persist();
  router
    .intercept({ path: '/register', method: 'POST' })
    .reply(200, { status: 'ok', worker_id: 'w-1', router_instance: 'r' }, json);
  router.intercept({ path: '/capacity', method: 'GET' }).reply(200, { status: 'ok', capacity: 2 }, json).persist();
  gatewayReplies('/register_model', 200, { status: 'ok', model: 'default', data_proxy_addrs: [PROXY] });
  // The stack comes up once the controller listens (it announces its own address to the data proxies).
  await app.app.listen({ port: 0, host: '127.0.0.1' });
  for (let i = 0; i < 100 && (await app.request('GET', '/health/ready')).status !== 200; i++)
    await new Promise((resolve) => setTimeout(resolve, 20));
  return {
    app,
    gateway,
    calls,
    gatewayReplies,
    admin: (method, url, body) => app.request(method, url, { body, token: ADMIN }),
    close: () => app.close(),
  };
}
