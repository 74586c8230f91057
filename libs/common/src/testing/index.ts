import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { MockAgent } from 'undici';
import { createApp, type AppDefinition } from '../bootstrap/bootstrap-app.js';
import { AppException } from '../errors/app.exception.js';
import type { WithCommonOptions } from '../config/common-options.js';

/**
 * `@app/common/testing`: a service built exactly as `main.ts` builds it (same module, options,
 * filters, guards, body parser), run in-process and called through Fastify's `inject` (no socket),
 * with every outbound call going to an undici `MockAgent` instead of the network. For controller
 * tests that run in `npm run test:unit`; end-to-end tests start real processes instead.
 */
export interface InjectedResponse {
  status: number;
  headers: Record<string, unknown>;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary fields
}

export interface InProcessApp {
  app: NestFastifyApplication;
  /** The outbound side: intercept what the service calls (`upstream.get(origin).intercept(...)`). */
  upstream: MockAgent;
  request(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    options?: { body?: unknown; token?: string; headers?: Record<string, string> },
  ): Promise<InjectedResponse>;
  close(): Promise<void>;
}

/** A MockAgent that refuses real connections: an unmocked call fails the test instead of leaving the machine. */
export function mockUpstream(): MockAgent {
  const agent = new MockAgent();
  agent.disableNetConnect();
  return agent;
}

export async function startInProcess<S extends WithCommonOptions>(
  definition: AppDefinition<S>,
  argv: readonly string[] = [],
  options: { env?: Record<string, string | undefined>; upstream?: MockAgent } = {},
): Promise<InProcessApp> {
  const upstream = options.upstream ?? mockUpstream();
  const { app } = await createApp(definition, {
    argv: ['--log-level', 'silent', ...argv],
    env: options.env ?? {},
    dispatcher: upstream,
  });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    upstream,
    async request(method, url, { body, token, headers = {} } = {}): Promise<InjectedResponse> {
      const res = await app.inject({
        method,
        url,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
        ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      let json: unknown;
      try {
        json = JSON.parse(res.body);
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, headers: res.headers, text: res.body, json };
    },
    async close() {
      await app.close();
      // The app closes its dispatcher on shutdown; closing it again is not an error here.
      await upstream.close().catch(() => undefined);
    },
  };
}
export * from './openapi.js';

/** The status of the AppException `fn` throws (200 when it returns); anything else is rethrown. */
export function statusOf(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppException) return err.getStatus();
    throw err;
  }
  return 200;
}
export { listeningPort } from '../bootstrap/listening-line.js';
export { freePort } from '../http-server/free-port.js';
export { appForSuite } from './suite-app.js';
export { undocumentedFields } from './dto-fields.js';
