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
import { constantTimeEquals, extractBearerToken } from './bearer.js';

/**
 * The exact auth failure messages of a service (they differ between the reference's gateway and
 * router, and clients match on them). Provide under {@link AUTH_MESSAGES}.
 */
export interface AuthMessages {
  /** 401: header missing or not `Bearer <token>`. */
  malformed: string;
  /** 403: a well-formed token that is not the admin key. */
  notAdmin: string;
}

export const AUTH_MESSAGES = Symbol('AUTH_MESSAGES');

export const DEFAULT_AUTH_MESSAGES: AuthMessages = {
  malformed: 'Missing or malformed Authorization header.',
  notAdmin: 'Invalid admin API key.',
};

const ADMIN_ONLY = Symbol('ADMIN_ONLY');

/** The bearer token a request carried, once a guard has read it. */
export function requestBearerToken(request: FastifyRequest): string | null {
  return extractBearerToken(request.headers.authorization);
}

/**
 * Guards endpoints marked with {@link AdminOnly}: 401 for a missing/malformed header, 403 for
 * any other token than the admin key (constant-time compare on UTF-8 bytes).
 */
@Injectable()
export class AdminKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_OPTIONS) private readonly options: BaseAppOptions,
    @Inject(AUTH_MESSAGES) private readonly messages: AuthMessages,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const adminOnly = this.reflector.getAllAndOverride<boolean | undefined>(ADMIN_ONLY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!adminOnly) return true;
    return this.check(context.switchToHttp().getRequest<FastifyRequest>());
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
}

/** Marks a route (or a whole controller) as requiring the admin key. */
export function AdminOnly(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ADMIN_ONLY, true),
    UseGuards(AdminKeyGuard),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing or malformed Authorization header' }),
    ApiForbiddenResponse({ description: 'Not the admin key' }),
  );
}
