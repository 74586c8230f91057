import { describe, expect, it } from '@jest/globals';
import { Controller, HttpCode, Module, Post } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp, type AppDefinition } from '../bootstrap/bootstrap-app.js';
import { COMMON_OPTIONS } from '../config/common-options.js';
import { CONTROL_PLANE_OPTIONS } from '../config/forwarded-options.js';
import { AppException } from '../errors/app.exception.js';
import { appForSuite } from '../testing/suite-app.js';
import { ErrorCode } from '../errors/error-codes.js';
import { AdminOnly, ControlPlane } from './admin-key.guard.js';
import { MISSING_BEARER, MISSING_CALLER_KEY } from './auth-messages.js';
import {
  AdminOrSessionKey,
  AnthropicKey,
  CallerKey,
  SESSION_KEY_VALIDATOR,
  SessionKey,
  type SessionKeyValidator,
} from './caller-key.guard.js';

const ADMIN = 'guard-admin-key';
const LIVE = 'live-session-key';

/** Every kind of key on its own route. */
@Controller()
class ProbeController {
  @Post('admin')
  @HttpCode(200)
  @AdminOnly()
  admin(): { ok: true } {
    return { ok: true };
  }

  @Post('control')
  @HttpCode(200)
  @ControlPlane()
  control(): { ok: true } {
    return { ok: true };
  }

  @Post('session')
  @HttpCode(200)
  @SessionKey()
  session(@CallerKey() key: string): { key: string } {
    return { key };
  }

  @Post('optional')
  @HttpCode(200)
  @SessionKey({ optional: true })
  optional(@CallerKey() key: string | null): { key: string | null } {
    return { key };
  }

  @Post('anthropic')
  @HttpCode(200)
  @AnthropicKey()
  anthropic(@CallerKey() key: string): { key: string } {
    return { key };
  }

  @Post('either')
  @HttpCode(200)
  @AdminOrSessionKey()
  either(@CallerKey() key: string): { key: string } {
    return { key };
  }

  @Post('unguarded')
  @HttpCode(200)
  unguarded(@CallerKey() key: string | null): { key: string | null } {
    return { key };
  }
}

/** A class of admin routes with one control route, as the controller's control API has. */
@AdminOnly()
@Controller('mixed')
class MixedController {
  @Post('admin')
  @HttpCode(200)
  admin(): { ok: true } {
    return { ok: true };
  }

  @Post('control')
  @HttpCode(200)
  @ControlPlane()
  control(): { ok: true } {
    return { ok: true };
  }
}

let validated: string[] = [];
/** Asynchronous, as the gateway's (which asks the router). */
const sessions: SessionKeyValidator = {
  assertLive(key) {
    validated.push(key);
    return key === LIVE
      ? Promise.resolve()
      : Promise.reject(new AppException(401, ErrorCode.UNKNOWN_API_KEY, 'Invalid or expired session API key.'));
  },
};

@Module({
  controllers: [ProbeController, MixedController],
  providers: [{ provide: SESSION_KEY_VALIDATOR, useValue: sessions }],
})
class ProbeModule {}

const OPTIONS = { ...COMMON_OPTIONS, ...CONTROL_PLANE_OPTIONS } as const;
const PROBE: AppDefinition<typeof OPTIONS> = {
  name: 'probe',
  options: OPTIONS,
  module: () => ProbeModule,
  swagger: { title: 'probe', description: 'probe' },
};

async function probe(argv: string[]): Promise<NestFastifyApplication> {
  const { app } = await createApp(PROBE, {
    argv: ['--log-level', 'silent', '--admin-api-key', ADMIN, '--no-swagger', ...argv],
    env: {},
  });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

interface Call {
  status: number;
  json: { detail?: string; code?: string; key?: string | null; ok?: boolean };
  headers: Record<string, unknown>;
}

function caller(app: () => NestFastifyApplication) {
  return async (
    url: string,
    options: { token?: string; headers?: Record<string, string>; from?: string } = {},
  ): Promise<Call> => {
    const res = await app().inject({
      method: 'POST',
      url,
      remoteAddress: options.from ?? '127.0.0.1',
      headers: {
        ...(options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {}),
        ...options.headers,
      },
    });
    return { status: res.statusCode, json: JSON.parse(res.body || '{}'), headers: res.headers };
  };
}

describe('AdminOnly', () => {
  const call = caller(appForSuite(() => probe(['--control-allow-from', '127.0.0.1/32'])));

  it('admits the admin key', async () => {
    expect((await call('/admin', { token: ADMIN })).status).toBe(200);
  });

  it('answers 401 without a key, even from a control network, with a Bearer challenge', async () => {
    const res = await call('/admin');
    expect([res.status, res.json.code, res.headers['www-authenticate']]).toEqual([401, 'UNAUTHENTICATED', 'Bearer']);
  });

  it('answers 401 for a malformed header', async () => {
    expect((await call('/admin', { headers: { authorization: 'Basic YWRtaW4=' } })).status).toBe(401);
  });

  it('answers 403 for any other key', async () => {
    expect((await call('/admin', { token: LIVE })).json).toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('ControlPlane with --control-allow-from 127.0.0.1/32,fd00::/8', () => {
  const call = caller(appForSuite(() => probe(['--control-allow-from', '127.0.0.1/32,fd00::/8'])));

  it.each(['127.0.0.1', '::ffff:127.0.0.1', 'fd00::7'])('admits a call without a key from %s', async (from) => {
    expect((await call('/control', { from })).status).toBe(200);
  });

  it('refuses a call without a key from elsewhere: 401 naming the rule and the peer, not the allowed networks', async () => {
    const res = await call('/control', { from: '10.1.2.3' });
    expect([res.status, res.json.code, res.headers['www-authenticate']]).toEqual([401, 'UNAUTHENTICATED', 'Bearer']);
    expect(res.json.detail).toBe(
      'Missing admin API key: calls without one are accepted only from --control-allow-from, and 10.1.2.3 is not in it.',
    );
    expect(res.json.detail).not.toContain('127.0.0.1');
  });

  it('never reads a forwarded address', async () => {
    const headers = { 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '127.0.0.1', forwarded: 'for=127.0.0.1' };
    expect((await call('/control', { from: '10.1.2.3', headers })).status).toBe(401);
  });

  it('admits the admin key from anywhere', async () => {
    expect((await call('/control', { token: ADMIN, from: '203.0.113.9' })).status).toBe(200);
  });

  it('refuses a session key or a wrong key with 403 from anywhere, allowed networks included', async () => {
    for (const from of ['127.0.0.1', '10.1.2.3'])
      for (const token of [LIVE, 'not-a-key'])
        expect((await call('/control', { token, from })).json).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('refuses a malformed header with 401 from anywhere: only a call with no header at all is judged by its network', async () => {
    for (const authorization of ['Basic YWRtaW4=', ''])
      expect((await call('/control', { headers: { authorization } })).status).toBe(401);
  });

  it('on a method of an admin class: the control rule wins, and the class stays admin-only', async () => {
    expect((await call('/mixed/control')).status).toBe(200);
    expect((await call('/mixed/control', { from: '10.1.2.3' })).status).toBe(401);
    expect((await call('/mixed/admin')).status).toBe(401);
    expect((await call('/mixed/admin', { token: ADMIN })).status).toBe(200);
  });
});

describe('ControlPlane with --control-allow-from empty (the default)', () => {
  const call = caller(appForSuite(() => probe([])));

  it('refuses a call without a key from loopback too, saying no network is allowed', async () => {
    const res = await call('/control');
    expect([res.status, res.json.detail]).toEqual([
      401,
      'Missing admin API key: calls without one are accepted from no network (--control-allow-from is empty).',
    ]);
  });

  it('admits the admin key', async () => {
    expect((await call('/control', { token: ADMIN })).status).toBe(200);
  });
});

describe('SessionKey, AnthropicKey, AdminOrSessionKey and CallerKey', () => {
  const call = caller(appForSuite(() => probe([])));

  it('SessionKey hands the bearer token to the handler', async () => {
    expect((await call('/session', { token: 'any-key' })).json.key).toBe('any-key');
  });

  it('SessionKey: 401 with the reference text and a Bearer challenge without a bearer token', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: 'Token x' }, { 'x-api-key': 'k' }];
    for (const headers of attempts) {
      const res = await call('/session', { headers });
      expect([res.status, res.json.detail, res.headers['www-authenticate']]).toEqual([401, MISSING_BEARER, 'Bearer']);
    }
  });

  it('optional SessionKey: null without a usable key, the key otherwise', async () => {
    expect((await call('/optional')).json.key).toBeNull();
    expect((await call('/optional', { headers: { authorization: 'Basic eA==' } })).json.key).toBeNull();
    expect((await call('/optional', { token: 'k' })).json.key).toBe('k');
  });

  it('AnthropicKey reads x-api-key, prefers a bearer token, and is 401 without either', async () => {
    expect((await call('/anthropic', { headers: { 'x-api-key': ' ak ' } })).json.key).toBe('ak');
    expect((await call('/anthropic', { token: 'bk', headers: { 'x-api-key': 'ak' } })).json.key).toBe('bk');
    const res = await call('/anthropic');
    expect([res.status, res.json.detail]).toEqual([401, MISSING_CALLER_KEY]);
  });

  it('AdminOrSessionKey admits the admin key without asking the app', async () => {
    validated = [];
    expect((await call('/either', { token: ADMIN })).json.key).toBe(ADMIN);
    expect(validated).toEqual([]);
  });

  it("AdminOrSessionKey admits a live session key and answers the app's own 401 for another", async () => {
    expect((await call('/either', { token: LIVE })).json.key).toBe(LIVE);
    const dead = await call('/either', { token: 'dead' });
    expect([dead.status, dead.json.code]).toEqual([401, 'UNKNOWN_API_KEY']);
    expect((await call('/either')).json.detail).toBe(MISSING_BEARER);
  });

  it('CallerKey on a route without a key guard fails instead of answering "no key"', async () => {
    expect((await call('/unguarded', { token: 'k' })).status).toBe(500);
  });
});

describe('configuration', () => {
  it('refuses a --control-allow-from entry that is not a network, naming the flag', async () => {
    await expect(probe(['--control-allow-from', '10.0.0.0/40'])).rejects.toThrow(
      '--control-allow-from: "10.0.0.0/40": the prefix length must be 0 to 32',
    );
  });
});
