import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { APP_OPTIONS, AppException, constantTimeEquals, ErrorCode, extractBearerToken } from '@app/common';
import type { EngineSimOptions } from '../config/engine-sim-options.js';

/** Always open on both engines (SGLang: paths starting with /health, /ready, /metrics), plus our docs. */
const OPEN_PREFIXES = ['/health', '/ready', '/metrics', '/docs', '/openapi.json'];

/** SGLang's "admin-optional" endpoints: with an admin key set, only the admin key opens them. */
const SGLANG_ADMIN_PATHS = new Set([
  '/pause_generation',
  '/continue_generation',
  '/abort_request',
  '/release_memory_occupation',
  '/resume_memory_occupation',
  '/update_weight_version',
  '/update_weights_from_disk',
  '/flush_cache',
  '/engine_sim/faults',
]);

/** vLLM control endpoints: vLLM's --api-key leaves them open (it checks /v1 paths only). */
const VLLM_OPEN_PATHS = new Set([
  '/pause',
  '/resume',
  '/is_paused',
  '/sleep',
  '/wake_up',
  '/is_sleeping',
  '/areal_pause_generation',
  '/areal_continue_generation',
]);

/**
 * The engines' own key rules, so a data proxy that sends the wrong key fails here as in production.
 *
 * SGLang (`--api-key`, `--admin-api-key`): normal endpoints take only the api key when one is set
 * (the admin key is refused there) and are open otherwise; admin-optional endpoints take only the
 * admin key when one is set, else the api key when one is set, else nothing. vLLM: `--api-key`
 * guards `/v1…` paths only. Refusal: 401 `{"error": "Unauthorized"}`. Keys come as a bearer token
 * or `x-api-key`, compared in constant time.
 */
@Injectable()
export class EngineApiKeyGuard implements CanActivate {
  constructor(@Inject(APP_OPTIONS) private readonly options: EngineSimOptions) {}

  canActivate(context: ExecutionContext): boolean {
    const apiKey = this.options['api-key'];
    const adminKey = this.options['admin-api-key'];
    if (apiKey === undefined && adminKey === undefined) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const path = request.url.split('?')[0];
    if (OPEN_PREFIXES.some((prefix) => path.startsWith(prefix)) || VLLM_OPEN_PATHS.has(path)) return true;
    const required = SGLANG_ADMIN_PATHS.has(path) ? (adminKey ?? apiKey) : apiKey;
    if (required === undefined) return true;
    const header = request.headers['x-api-key'];
    const token = extractBearerToken(request.headers.authorization) ?? (typeof header === 'string' ? header : null);
    if (token === null || !constantTimeEquals(token, required)) {
      throw new AppException(401, ErrorCode.UNAUTHENTICATED, 'Unauthorized', {
        body: { error: 'Unauthorized' },
        omitCode: true,
      });
    }
    return true;
  }
}
