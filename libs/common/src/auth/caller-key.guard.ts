import {
  applyDecorators,
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  Inject,
  Injectable,
  mixin,
  Optional,
  SetMetadata,
  UseGuards,
  type Type,
} from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { APP_OPTIONS, type BaseAppOptions } from '../config/app-config.js';
import { AppException } from '../errors/app.exception.js';
import { ErrorCode } from '../errors/error-codes.js';
import { MISSING_BEARER, MISSING_CALLER_KEY } from './auth-messages.js';
import { constantTimeEquals, extractBearerToken, extractCallerKey } from './bearer.js';

/**
 * How an app tells a live session key from one that opens nothing (the data proxy asks its
 * sessions, the gateway the router). Throws the app's own 401 for a key that opens nothing.
 * Provide it under {@link SESSION_KEY_VALIDATOR} in an app with {@link AdminOrSessionKey} routes.
 */
export interface SessionKeyValidator {
  assertLive(key: string, request: FastifyRequest): void | Promise<void>;
}

export const SESSION_KEY_VALIDATOR = Symbol('SESSION_KEY_VALIDATOR');

/** What a route takes from its caller. */
interface KeyRule {
  /** Also Anthropic's `x-api-key` header (the Anthropic SDK sends its key there). */
  anthropic: boolean;
  /** Without a key the route still runs (with `null`). */
  optional: boolean;
  /** Only the admin key or a key the app's {@link SessionKeyValidator} accepts. */
  adminOrLiveSession: boolean;
}

const CALLER_KEY = Symbol('CALLER_KEY');

/** Whether a route's caller-key guard turns a call without a key away (`required`) or serves it. */
export type CallerKeyRule = 'required' | 'optional';

const CALLER_KEY_RULE = Symbol('CALLER_KEY_RULE');

/**
 * The caller-key rule of a route ({@link SessionKey}, {@link AnthropicKey},
 * {@link AdminOrSessionKey}), method over class, or `undefined` for a route without one.
 */
export function callerKeyRuleOf(controller: object, handler: object): CallerKeyRule | undefined {
  return (Reflect.getMetadata(CALLER_KEY_RULE, handler) ?? Reflect.getMetadata(CALLER_KEY_RULE, controller)) as
    CallerKeyRule | undefined;
}

const ruleMark = (optional: boolean | undefined) =>
  SetMetadata(CALLER_KEY_RULE, (optional ? 'optional' : 'required') satisfies CallerKeyRule);

/** One guard class per rule, built once: nothing is looked up per request. */
function callerKeyGuard(rule: KeyRule): Type<CanActivate> {
  @Injectable()
  class CallerKeyGuard implements CanActivate {
    constructor(
      @Inject(APP_OPTIONS) private readonly options: BaseAppOptions,
      @Optional() @Inject(SESSION_KEY_VALIDATOR) private readonly sessions: SessionKeyValidator | null,
    ) {
      if (rule.adminOrLiveSession && !sessions)
        throw new Error('AdminOrSessionKey() needs a SESSION_KEY_VALIDATOR provider in the app');
    }

    canActivate(context: ExecutionContext): boolean | Promise<boolean> {
      const request = context.switchToHttp().getRequest<FastifyRequest>();
      const key = rule.anthropic
        ? extractCallerKey(request.headers)
        : extractBearerToken(request.headers.authorization);
      (request as unknown as Record<symbol, string | null>)[CALLER_KEY] = key;
      if (key === null) {
        if (rule.optional) return true;
        throw new AppException(401, ErrorCode.UNAUTHENTICATED, rule.anthropic ? MISSING_CALLER_KEY : MISSING_BEARER, {
          headers: { 'www-authenticate': 'Bearer' },
        });
      }
      if (!rule.adminOrLiveSession || constantTimeEquals(key, this.options['admin-api-key'])) return true;
      const checked = this.sessions!.assertLive(key, request);
      return checked instanceof Promise ? checked.then(() => true) : true;
    }
  }
  return mixin(CallerKeyGuard);
}

const SESSION_KEY_GUARD = callerKeyGuard({ anthropic: false, optional: false, adminOrLiveSession: false });
const OPTIONAL_SESSION_KEY_GUARD = callerKeyGuard({ anthropic: false, optional: true, adminOrLiveSession: false });
const ANTHROPIC_KEY_GUARD = callerKeyGuard({ anthropic: true, optional: false, adminOrLiveSession: false });
const OPTIONAL_ANTHROPIC_KEY_GUARD = callerKeyGuard({ anthropic: true, optional: true, adminOrLiveSession: false });
const ADMIN_OR_SESSION_KEY_GUARD = callerKeyGuard({ anthropic: false, optional: false, adminOrLiveSession: true });

/**
 * A session key as a bearer token (or the admin key, which picks the HITL session): 401 without
 * one. Which session it names is decided where the key is used (the gateway asks the router).
 * With `optional`, a call without a usable key still runs, with `null` (served, not recorded).
 */
export function SessionKey(options: { optional?: boolean } = {}): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ruleMark(options.optional),
    UseGuards(options.optional ? OPTIONAL_SESSION_KEY_GUARD : SESSION_KEY_GUARD),
    ApiBearerAuth(),
    ...(options.optional ? [] : [ApiUnauthorizedResponse({ description: 'No bearer token' })]),
  );
}

/**
 * Anthropic's form: the key as `x-api-key` (the Anthropic SDK's header) or a bearer token, which
 * wins when both are sent. 401 without either, unless `optional`.
 */
export function AnthropicKey(options: { optional?: boolean } = {}): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ruleMark(options.optional),
    UseGuards(options.optional ? OPTIONAL_ANTHROPIC_KEY_GUARD : ANTHROPIC_KEY_GUARD),
    ApiBearerAuth(),
    ApiSecurity('x-api-key'),
    ...(options.optional ? [] : [ApiUnauthorizedResponse({ description: 'Neither x-api-key nor a bearer token' })]),
  );
}

/**
 * The admin key, or a live session key (checked by the app's {@link SessionKeyValidator}): 401
 * without a bearer token, the app's own 401 for a key that opens nothing.
 */
export function AdminOrSessionKey(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ruleMark(false),
    UseGuards(ADMIN_OR_SESSION_KEY_GUARD),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({
      description: 'No bearer token, or a key that is neither the admin key nor a live session',
    }),
  );
}

/**
 * The key the route's guard accepted ({@link SessionKey}, {@link AnthropicKey},
 * {@link AdminOrSessionKey}): a string, or `null` on an optional route called without one. On a
 * route without one of those guards it fails loudly rather than answer "no key".
 */
export const CallerKey = createParamDecorator((_data: unknown, context: ExecutionContext): string | null =>
  callerKeyOf(context.switchToHttp().getRequest<FastifyRequest>()),
);

/** {@link CallerKey} for code that holds the request itself (a handler that forwards it whole). */
export function callerKeyOf(request: FastifyRequest): string | null {
  const key = (request as unknown as Record<symbol, string | null | undefined>)[CALLER_KEY];
  if (key === undefined) throw new Error('@CallerKey() on a route without SessionKey/AnthropicKey/AdminOrSessionKey');
  return key;
}
