import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { APP_OPTIONS, type BaseAppOptions } from '../config/app-config.js';
import { AppException } from '../errors/app.exception.js';
import { ErrorCode } from '../errors/error-codes.js';
import { AUTH_MESSAGES, type AuthMessages } from './auth-messages.js';
import { constantTimeEquals, extractBearerToken } from './bearer.js';
import { NetworkAllowList } from './network-allow-list.js';

/** Which admin rule a route follows: the admin key alone, or also no key from the control networks. */
export type AdminRule = 'admin' | 'control';

const ADMIN_RULE = Symbol('ADMIN_RULE');
/** Set once a request passed: a route with the rule on its class and its method is checked once. */
const ADMITTED = Symbol('ADMITTED');

/**
 * The admin rule a route follows as the guard reads it (the method's over its class's), or
 * `undefined` for a route without one: what the route-auth test checks against docs/SECURITY.md.
 */
export function adminRuleOf(controller: object, handler: object): AdminRule | undefined {
  return (Reflect.getMetadata(ADMIN_RULE, handler) ?? Reflect.getMetadata(ADMIN_RULE, controller)) as
    AdminRule | undefined;
}

/** The bearer token a request carried, once a guard has read it. */
export function requestBearerToken(request: FastifyRequest): string | null {
  return extractBearerToken(request.headers.authorization);
}

/**
 * Guards routes marked {@link AdminOnly} or {@link ControlPlane}. The admin key (constant-time
 * compare on UTF-8 bytes) opens both; a malformed header is 401 and any other token (a session
 * key included) 403, wherever the call comes from. A control route also accepts a call with no
 * `Authorization` header at all when the connection's peer address is in `--control-allow-from`
 * (the socket's own address: a forwarded header is never read). Every refusal names its rule.
 */
@Injectable()
export class AdminKeyGuard implements CanActivate {
  private readonly controlNetworks: NetworkAllowList;

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_OPTIONS) private readonly options: BaseAppOptions,
    @Inject(AUTH_MESSAGES) private readonly messages: AuthMessages,
  ) {
    this.controlNetworks = new NetworkAllowList(options['control-allow-from'] ?? []);
  }

  canActivate(context: ExecutionContext): boolean {
    const rule = this.reflector.getAllAndOverride<AdminRule | undefined>(ADMIN_RULE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!rule) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const admitted = request as unknown as Record<symbol, true | undefined>;
    if (admitted[ADMITTED]) return true;
    if (rule === 'control') this.checkControl(request);
    else this.check(request);
    admitted[ADMITTED] = true;
    return true;
  }

  /** The admin check itself, for guards that apply it conditionally. Throws 401/403, else true. */
  check(request: FastifyRequest): boolean {
    const token = requestBearerToken(request);
    if (token === null) {
      throw new AppException(401, ErrorCode.UNAUTHENTICATED, this.messages.malformed, {
        headers: { 'www-authenticate': 'Bearer' },
      });
    }
    if (!constantTimeEquals(token, this.options['admin-api-key'])) {
      throw new AppException(403, ErrorCode.FORBIDDEN, this.messages.notAdmin);
    }
    return true;
  }

  /** A control route: the admin key, or no header at all from an allowed network. */
  private checkControl(request: FastifyRequest): void {
    if (request.headers.authorization !== undefined) {
      this.check(request);
      return;
    }
    const peer = request.raw.socket?.remoteAddress;
    if (this.controlNetworks.match(peer) !== null) return;
    // The allowed networks are not named to a caller that is not in them.
    const why = this.controlNetworks.isEmpty
      ? 'calls without one are accepted from no network (--control-allow-from is empty)'
      : `calls without one are accepted only from --control-allow-from, and ${peer ?? 'this connection'} is not in it`;
    throw new AppException(401, ErrorCode.UNAUTHENTICATED, `Missing admin API key: ${why}.`, {
      headers: { 'www-authenticate': 'Bearer' },
    });
  }
}

/** Marks a route (or a whole controller) as requiring the admin key. */
export function AdminOnly(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ADMIN_RULE, 'admin' satisfies AdminRule),
    UseGuards(AdminKeyGuard),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing or malformed Authorization header' }),
    ApiForbiddenResponse({ description: 'Not the admin key' }),
  );
}

/**
 * Marks an internal control-plane route (pause, continue, set_version, offload, onload): the
 * admin key, or no key at all from a network in `--control-allow-from`. A session key is 403
 * from anywhere. On a method it overrides its class's {@link AdminOnly}.
 */
export function ControlPlane(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ADMIN_RULE, 'control' satisfies AdminRule),
    UseGuards(AdminKeyGuard),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({
      description: 'Missing or malformed Authorization header (no header: only from --control-allow-from networks)',
    }),
    ApiForbiddenResponse({ description: 'Not the admin key' }),
  );
}
