import { STATUS_CODES } from 'node:http';
import type { ErrorBodyInfo } from '@app/common';

const VLLM_PATHS = ['/v1/', '/areal_'];

/**
 * Error bodies in the dialect of the server being simulated: vLLM's
 * `{"error": {message, type, param, code}}` under `/v1/*` and `/areal_*`, SGLang's
 * `{"object": "error", message, type, param, code}` elsewhere; infrastructure paths keep ours.
 */
export function engineErrorBody(info: ErrorBodyInfo): Record<string, unknown> {
  const phrase = STATUS_CODES[info.status] ?? 'Error';
  if (info.path === '/metrics' || info.path.startsWith('/health/') || info.path.startsWith('/docs'))
    return info.defaultBody;
  if (VLLM_PATHS.some((prefix) => info.path.startsWith(prefix))) {
    return {
      error: {
        message: info.message,
        type: `${phrase.replace(/[^A-Za-z]/g, '')}Error`,
        param: null,
        code: info.status,
      },
    };
  }
  return { object: 'error', message: info.message, type: phrase, param: null, code: info.status };
}
