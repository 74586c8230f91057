import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { IsInt, IsString, Min } from 'class-validator';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { request } from 'undici';
import { AdminOnly } from './auth/admin-key.guard.js';
import { createApp } from './bootstrap/bootstrap-app.js';
import { COMMON_OPTIONS } from './config/common-options.js';
import { AppException } from './errors/app.exception.js';
import { ErrorCode } from './errors/error-codes.js';

class EchoRequestDto {
  @IsString() name!: string;
  @IsInt() @Min(0) count!: number;
}

@Controller()
class SampleController {
  @Post('echo')
  @HttpCode(200)
  echo(@Body() body: EchoRequestDto): EchoRequestDto {
    return body;
  }

  @Post('admin')
  @HttpCode(200)
  @AdminOnly()
  admin(): { ok: boolean } {
    return { ok: true };
  }

  @Get('conflict')
  conflict(): never {
    throw new AppException(409, ErrorCode.CONFLICT, 'already there');
  }

  @Get('crash')
  crash(): never {
    throw new Error('secret internal detail');
  }
}

@Module({ controllers: [SampleController] })
class SampleModule {}

describe('CommonModule wiring (in-process app)', () => {
  let app: NestFastifyApplication;
  let baseUrl: string;

  beforeAll(async () => {
    ({ app } = await createApp(
      {
        name: 'sample',
        options: COMMON_OPTIONS,
        module: () => SampleModule,
        defaultLiveness: true,
        swagger: { title: 'Sample', description: 'test' },
      },
      {
        argv: ['--admin-api-key', 'adm', '--max-body-bytes', '2048', '--log-level', 'silent', '--no-swagger'],
        env: {},
      },
    ));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.getHttpServer().address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await app.close();
  });

  // Real HTTP on loopback (Fastify's inject needs a module Jest cannot load on Node 20).
  const inject = async (opts: {
    method: 'GET' | 'POST';
    url: string;
    payload?: string;
    headers?: Record<string, string>;
  }): Promise<{ statusCode: number; headers: Record<string, unknown>; body: string; json: () => any }> => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.payload !== undefined && !('content-type' in headers)) headers['content-type'] = 'application/json';
    const res = await request(`${baseUrl}${opts.url}`, { method: opts.method, body: opts.payload, headers });
    const body = await res.body.text();
    return { statusCode: res.statusCode, headers: res.headers, body, json: () => JSON.parse(body) };
  };

  it('validates typed bodies: 422 with an issue list and a readable message', async () => {
    const res = await inject({ method: 'POST', url: '/echo', payload: JSON.stringify({ name: 1 }) });
    expect(res.statusCode).toBe(422);
    const body = res.json();
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(Array.isArray(body.detail)).toBe(true);
    expect(body.detail.map((i: { loc: string[] }) => i.loc.join('.'))).toEqual(
      expect.arrayContaining(['body.name', 'body.count']),
    );
  });

  it('accepts a valid body and drops unknown fields', async () => {
    const res = await inject({ method: 'POST', url: '/echo', payload: JSON.stringify({ name: 'a', count: 1, x: 2 }) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ name: 'a', count: 1 });
  });

  it.each([
    ['empty body with a JSON content type', '', 422],
    ['JSON array', '[1,2]', 422],
    ['JSON string', '"x"', 422],
    ['malformed JSON', '{"name":', 400],
  ])('answers %s with %i', async (_label, payload, status) => {
    const res = await inject({ method: 'POST', url: '/echo', payload });
    expect(res.statusCode).toBe(status);
    expect(res.json().code).toBeDefined();
  });

  it('answers an oversized body with 413 BODY_TOO_LARGE', async () => {
    const res = await inject({
      method: 'POST',
      url: '/echo',
      payload: JSON.stringify({ name: 'x'.repeat(5000), count: 1 }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('BODY_TOO_LARGE');
  });

  it('answers an unsupported content type with 415, and a non-JSON text body with 422', async () => {
    const post = (contentType: string, payload: string) =>
      inject({ method: 'POST', url: '/echo', payload, headers: { 'content-type': contentType } });
    expect((await post('application/xml', '<a/>')).statusCode).toBe(415);
    expect((await post('text/plain', 'a=b')).statusCode).toBe(422);
  });

  it('guards admin routes: 401 malformed, 403 wrong or non-ASCII key, 200 admin key', async () => {
    expect((await inject({ method: 'POST', url: '/admin' })).statusCode).toBe(401);
    expect((await inject({ method: 'POST', url: '/admin', headers: { authorization: 'Basic x' } })).statusCode).toBe(
      401,
    );
    const wrong = await inject({ method: 'POST', url: '/admin', headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json()).toEqual({ detail: 'Invalid admin API key.', code: 'FORBIDDEN' });
    const nonAscii = await inject({
      method: 'POST',
      url: '/admin',
      headers: { authorization: Buffer.from('Bearer ключ', 'utf8').toString('latin1') },
    });
    expect(nonAscii.statusCode).toBe(403);
    expect(
      (await inject({ method: 'POST', url: '/admin', headers: { authorization: 'bearer   adm ' } })).statusCode,
    ).toBe(200);
  });

  it('turns AppException into its status and code', async () => {
    const res = await inject({ method: 'GET', url: '/conflict' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({ detail: 'already there', code: 'CONFLICT' });
  });

  it('never echoes internals on 500', async () => {
    const res = await inject({ method: 'GET', url: '/crash' });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret');
    expect(res.json().code).toBe('INTERNAL');
  });

  it('answers unknown paths with 404 {"detail":"Not Found"}', async () => {
    const res = await inject({ method: 'GET', url: '/nowhere' });
    expect(res.statusCode).toBe(404);
    expect(res.json().detail).toBe('Not Found');
  });

  it('echoes a valid inbound x-request-id and generates one otherwise', async () => {
    const echoed = await inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'abc-123' } });
    expect(echoed.headers['x-request-id']).toBe('abc-123');
    const generated = await inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'bad id ' + 'x'.repeat(200) },
    });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  // Swagger UI needs @fastify/static, which Jest's module loader cannot load on Node 20 (it
  // requires an ES module); the e2e suites check /docs and /openapi.json on the built processes.
  it('serves /health, /health/ready and /metrics', async () => {
    expect((await inject({ method: 'GET', url: '/health' })).json()).toEqual({ status: 'ok' });
    expect((await inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    const metrics = await inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('http_requests_total');
    expect(metrics.body).toContain('http_request_duration_seconds');
    expect(metrics.body).toContain('http_requests_in_flight');
  });
});
