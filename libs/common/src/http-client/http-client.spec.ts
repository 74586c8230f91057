import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { getEventListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, MockAgent } from 'undici';
import { AppException } from '../errors/app.exception.js';
import { discardBody, HttpClient } from './http-client.js';

const ORIGIN = 'http://upstream.test';

describe(HttpClient.name, () => {
  let agent: MockAgent;
  let client: HttpClient;

  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    client = new HttpClient(agent);
  });

  afterEach(async () => {
    await agent.close();
  });

  it('sends JSON and parses a JSON answer, forwarding the request id', async () => {
    let seenBody: unknown;
    let seenHeaders: Record<string, string> = {};
    agent
      .get(ORIGIN)
      .intercept({ path: '/route', method: 'POST' })
      .reply(200, (opts) => {
        seenBody = JSON.parse(opts.body as string);
        seenHeaders = opts.headers as Record<string, string>;
        return { worker_addr: 'http://w1' };
      });
    const response = await client.requestJson<{ worker_addr: string }>({
      method: 'POST',
      url: `${ORIGIN}/route`,
      json: { api_key: 'k' },
      requestId: 'req-1',
    });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ worker_addr: 'http://w1' });
    expect(seenBody).toEqual({ api_key: 'k' });
    expect(seenHeaders['x-request-id']).toBe('req-1');
    expect(seenHeaders['content-type']).toBe('application/json');
  });

  it('returns non-2xx statuses instead of throwing, with the body text', async () => {
    agent.get(ORIGIN).intercept({ path: '/x', method: 'GET' }).reply(404, 'nope');
    const response = await client.requestJson({ url: `${ORIGIN}/x` });
    expect(response.status).toBe(404);
    expect(response.json).toBeUndefined();
    expect(response.text).toBe('nope');
  });

  it('forwards raw bytes unchanged', async () => {
    let seen = '';
    agent
      .get(ORIGIN)
      .intercept({ path: '/chat', method: 'POST' })
      .reply(201, (opts) => {
        seen = Buffer.isBuffer(opts.body) ? opts.body.toString() : (opts.body as string);
        return 'raw-answer';
      });
    const body = Buffer.from('{"model":"m","messages":[]}');
    const response = await client.request({ method: 'POST', url: `${ORIGIN}/chat`, body });
    expect(seen).toBe(body.toString());
    expect(response.status).toBe(201);
    expect(response.body.toString()).toBe('raw-answer');
  });

  it('maps a refused connection to 502 UPSTREAM_UNAVAILABLE naming the upstream', async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: '/h', method: 'GET' })
      .replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    const error = await client.requestJson({ url: `${ORIGIN}/h`, upstreamName: 'router' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppException);
    expect((error as AppException).getStatus()).toBe(502);
    expect((error as AppException).code).toBe('UPSTREAM_UNAVAILABLE');
    expect((error as AppException).message).toContain('router');
  });

  it('maps a timeout to 504 UPSTREAM_TIMEOUT', async () => {
    agent.get(ORIGIN).intercept({ path: '/slow', method: 'GET' }).reply(200, 'late').delay(500);
    const error = await client.requestJson({ url: `${ORIGIN}/slow`, timeoutMs: 20 }).catch((e: unknown) => e);
    expect((error as AppException).getStatus()).toBe(504);
    expect((error as AppException).code).toBe('UPSTREAM_TIMEOUT');
  });

  it('maps a caller abort to 499 CLIENT_CLOSED_REQUEST', async () => {
    agent.get(ORIGIN).intercept({ path: '/slow', method: 'GET' }).reply(200, 'late').delay(500);
    const controller = new AbortController();
    const pending = client.requestJson({ url: `${ORIGIN}/slow`, signal: controller.signal }).catch((e: unknown) => e);
    controller.abort();
    const error = await pending;
    expect((error as AppException).getStatus()).toBe(499);
  });

  it('rejects answers above the byte limit with 502 UPSTREAM_BAD_RESPONSE', async () => {
    agent.get(ORIGIN).intercept({ path: '/big', method: 'GET' }).reply(200, 'x'.repeat(2000));
    const error = await client.requestJson({ url: `${ORIGIN}/big`, maxResponseBytes: 100 }).catch((e: unknown) => e);
    expect((error as AppException).getStatus()).toBe(502);
    expect((error as AppException).code).toBe('UPSTREAM_BAD_RESPONSE');
  });

  it('streams a body the caller reads', async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: '/sse', method: 'POST' })
      .reply(200, 'data: a\n\ndata: [DONE]\n\n', {
        headers: { 'content-type': 'text/event-stream' },
      });
    const response = await client.stream({ method: 'POST', url: `${ORIGIN}/sse`, body: '{}' });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream');
    let text = '';
    for await (const chunk of response.body) text += (chunk as Buffer).toString();
    expect(text).toBe('data: a\n\ndata: [DONE]\n\n');
  });

  it('discards an unread body without an unhandled error event', async () => {
    // A real socket: undici's body errors when destroyed before its end, which MockAgent does not show.
    const server = createServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('shutting down');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const dispatcher = new Agent();
    const real = new HttpClient(dispatcher);
    const uncaught: Error[] = [];
    const onUncaught = (err: Error): void => void uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const { port } = server.address() as AddressInfo;
      const response = await real.stream({ url: `http://127.0.0.1:${port}/`, signal: new AbortController().signal });
      discardBody(response.body);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(response.body.destroyed).toBe(true);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      server.closeAllConnections();
      server.close();
      await dispatcher.close();
    }
  });

  it('maps an invalid URL to 502 without a network call', async () => {
    const error = await client.requestJson({ url: 'not a url' }).catch((e: unknown) => e);
    expect((error as AppException).getStatus()).toBe(502);
  });

  describe('a whole answer read over a real socket', () => {
    let server: Server;
    let dispatcher: Agent;
    let real: HttpClient;
    let base: string;
    let requests = 0;
    let connections = 0;
    let handle: (req: IncomingMessage, res: ServerResponse) => void;

    beforeEach(async () => {
      requests = 0;
      connections = 0;
      server = createServer((req, res) => {
        requests++;
        handle(req, res);
      });
      server.on('connection', () => connections++);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      dispatcher = new Agent();
      real = new HttpClient(dispatcher);
    });

    afterEach(async () => {
      server.closeAllConnections();
      server.close();
      await dispatcher.close();
    });

    /** Answers the headers and a first chunk, then nothing. */
    const stall = (_req: IncomingMessage, res: ServerResponse): void => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"partial":');
    };

    it('gathers a body sent in many chunks, and reuses its connections for calls one after another', async () => {
      handle = (req, res) => {
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
        for (let i = 0; i < 20; i++) res.write(`${i},`);
        res.end('20');
      };
      for (let call = 0; call < 10; call++) {
        const response = await real.request({ method: 'POST', url: `${base}/generate`, body: '{}' });
        expect(response.status).toBe(200);
        expect(response.headers['x-upstream']).toBe('yes');
        expect(response.body.toString()).toBe(Array.from({ length: 21 }, (_, i) => i).join(','));
      }
      expect(requests).toBe(10);
      // Reused, not one per call (undici may open a second one while it finishes reading the first
      // answer; undici's own request() does the same here).
      expect(connections).toBeLessThanOrEqual(2);
    });

    it('times a whole call out while its body is still coming (504), and leaves no listener on the signal', async () => {
      handle = stall;
      const controller = new AbortController();
      const error = await real
        .request({ url: `${base}/slow`, timeoutMs: 50, signal: controller.signal })
        .catch((e: unknown) => e);
      expect((error as AppException).getStatus()).toBe(504);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });

    it('stops a call whose caller aborts while its body is coming (499)', async () => {
      handle = stall;
      const controller = new AbortController();
      const pending = real.request({ url: `${base}/slow`, signal: controller.signal }).catch((e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 30));
      controller.abort();
      const error = await pending;
      expect((error as AppException).getStatus()).toBe(499);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });

    it('does not send a call whose caller has already gone (499)', async () => {
      handle = (_req, res) => res.end('{}');
      const controller = new AbortController();
      controller.abort();
      const error = await real.request({ url: `${base}/x`, signal: controller.signal }).catch((e: unknown) => e);
      expect((error as AppException).getStatus()).toBe(499);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(requests).toBe(0);
    });

    it('drops an answer over the byte limit (502), and the next call goes through', async () => {
      handle = (req, res) => {
        req.resume();
        res.end(req.url === '/big' ? 'x'.repeat(64 * 1024) : 'ok');
      };
      const error = await real.request({ url: `${base}/big`, maxResponseBytes: 1000 }).catch((e: unknown) => e);
      expect((error as AppException).getStatus()).toBe(502);
      expect((error as AppException).code).toBe('UPSTREAM_BAD_RESPONSE');
      const next = await real.request({ url: `${base}/small`, maxResponseBytes: 1000 });
      expect(next.body.toString()).toBe('ok');
    });

    it('leaves no listener on the signal of a call that succeeded', async () => {
      handle = (_req, res) => res.end('{}');
      const controller = new AbortController();
      const response = await real.request({ url: `${base}/x`, signal: controller.signal, timeoutMs: 5000 });
      expect(response.body.toString()).toBe('{}');
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });
  });
});
