import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { APP_OPTIONS, AppException, constantTimeEquals, ErrorCode, extractBearerToken } from '@app/common';
import type { EngineSimOptions } from '../config/engine-sim-options.js';

const OPEN_PATHS = new Set(['/health', '/health_generate', '/health/ready', '/metrics', '/docs', '/openapi.json']);

/**
 * `--api-key`, as SGLang and vLLM implement it: when set, every endpoint except health, metrics
 * and the docs needs `Authorization: Bearer <key>`; otherwise 401 `{"error": "Unauthorized"}`.
 */
@Injectable()
export class EngineApiKeyGuard implements CanActivate {
  constructor(@Inject(APP_OPTIONS) private readonly options: EngineSimOptions) {}

  canActivate(context: ExecutionContext): boolean {
    const key = this.options['api-key'];
    if (key === undefined) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const path = request.url.split('?')[0];
    if (OPEN_PATHS.has(path) || path.startsWith('/docs')) return true;
    const token = extractBearerToken(request.headers.authorization);
    if (token === null || !constantTimeEquals(token, key)) {
      throw new AppException(401, ErrorCode.UNAUTHENTICATED, 'Unauthorized', {
        body: { error: 'Unauthorized' },
        omitCode: true,
      });
    }
    return true;
  }
}
