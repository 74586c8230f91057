import { STATUS_CODES } from 'node:http';
import type { ErrorBodyInfo } from '@app/common';
import type { Type } from '@nestjs/common';
import { ErrorResponseDto, SglangErrorResponseDto, VllmErrorResponseDto } from '@app/contracts';

const VLLM_PATHS = ['/v1/', '/areal_'];

/** Paths that keep our own error body (infrastructure, not the simulated server). */
const OWN_PATHS = (path: string): boolean =>
  path === '/metrics' || path.startsWith('/health/') || path.startsWith('/docs');

/** Which error body class a path answers with (for the OpenAPI document). */
export function engineErrorBodyClass(path: string): Type<unknown> {
  if (OWN_PATHS(path)) return ErrorResponseDto;
  return VLLM_PATHS.some((prefix) => path.startsWith(prefix)) ? VllmErrorResponseDto : SglangErrorResponseDto;
}

/**
 * Error bodies in the dialect of the server being simulated: vLLM's
 * `{"error": {message, type, param, code}}` under `/v1/*` and `/areal_*`, SGLang's
 * `{"object": "error", message, type, param, code}` elsewhere; infrastructure paths keep ours.
 */
export function engineErrorBody(info: ErrorBodyInfo): Record<string, unknown> {
  const phrase = STATUS_CODES[info.status] ?? 'Error';
  if (OWN_PATHS(info.path)) return info.defaultBody;
  if (VLLM_PATHS.some((prefix) => info.path.startsWith(prefix))) {
    return {
      error: {
        message: info.message,
        type: `${phrase.replace(/[^A-Za-z]/g, '')}Error`,
        param: null,
        code: info.status,
      },
    } satisfies VllmErrorResponseDto;
  }
  return {
    object: 'error',
    message: info.message,
    type: phrase,
    param: null,
    code: info.status,
  } satisfies SglangErrorResponseDto;
}
