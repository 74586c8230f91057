import { Inject, Injectable } from '@nestjs/common';
import { APP_OPTIONS, AppException, ErrorCode, HttpClient, type JsonResponse } from '@app/common';
import type {
  ErrorResponseDto,
  RegisterSessionRequestDto,
  RemoveSessionRequestDto,
  RouteRequestDto,
  RouteResponseDto,
} from '@app/contracts';
import type { GatewayOptions } from '../config/gateway-options.js';
import { gatewayError, transportError } from '../proxy/gateway-error.js';

function detailOf(json: unknown, fallback: string): string {
  if (json && typeof json === 'object') {
    const { detail, error } = json as { detail?: unknown; error?: unknown };
    if (typeof detail === 'string') return detail;
    if (typeof error === 'string') return error;
  }
  return fallback;
}

/**
 * Every gateway → router call, with the admin key as bearer and `--router-timeout`. Router
 * answers become gateway errors as the reference maps them, with its defects fixed: only an
 * unknown key (code UNKNOWN_API_KEY) turns into 401; other 404s stay 404 with the router's code;
 * a router that cannot be reached is a JSON 502 (504 on timeout); a malformed answer is a 502,
 * never a 500. Branches on the router's error codes, never on its message text.
 */
@Injectable()
export class RouterClient {
  constructor(
    private readonly http: HttpClient,
    @Inject(APP_OPTIONS) private readonly options: GatewayOptions,
  ) {}

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    json?: unknown,
    requestId?: string,
  ): Promise<JsonResponse<T>> {
    try {
      return await this.http.requestJson<T>({
        method,
        url: `${this.options['router-addr']}${path}`,
        json: method === 'POST' ? (json ?? {}) : undefined,
        headers: { authorization: `Bearer ${this.options['admin-api-key']}` },
        timeoutMs: this.options.ms['router-timeout'],
        requestId,
        upstreamName: 'router',
      });
    } catch (err) {
      throw transportError(err, 'router');
    }
  }

  /** Which worker serves a request. */
  async route(query: RouteRequestDto, requestId?: string): Promise<RouteResponseDto> {
    const response = await this.call<RouteResponseDto & Partial<ErrorResponseDto>>('POST', '/route', query, requestId);
    if (response.status === 200 && typeof response.json?.worker_addr === 'string') return response.json;
    const detail = detailOf(response.json, `Router returned HTTP ${response.status}`);
    if (response.status === 404) {
      const code = response.json?.code;
      if (code === ErrorCode.UNKNOWN_API_KEY) throw gatewayError(401, ErrorCode.UNKNOWN_API_KEY, detail);
      throw gatewayError(
        404,
        code === ErrorCode.SESSION_NOT_FOUND || code === ErrorCode.MODEL_NOT_FOUND ? code : ErrorCode.NOT_FOUND,
        detail,
      );
    }
    if (response.status === 503) throw gatewayError(503, ErrorCode.NO_HEALTHY_WORKERS, detail);
    if (response.status === 422) throw gatewayError(400, ErrorCode.BAD_REQUEST, detail);
    throw gatewayError(502, ErrorCode.UPSTREAM_BAD_RESPONSE, `Router returned HTTP ${response.status}: ${detail}`);
  }

  async resolveWorker(workerId: string, requestId?: string): Promise<string> {
    const response = await this.call<{ worker_addr?: string }>(
      'GET',
      `/resolve_worker/${encodeURIComponent(workerId)}`,
      undefined,
      requestId,
    );
    if (response.status === 200 && typeof response.json?.worker_addr === 'string') return response.json.worker_addr;
    if (response.status === 404) throw gatewayError(404, ErrorCode.WORKER_NOT_FOUND, `Worker ID ${workerId} not found`);
    throw gatewayError(
      502,
      ErrorCode.UPSTREAM_BAD_RESPONSE,
      `Failed to resolve worker ${workerId}: router returned HTTP ${response.status}`,
    );
  }

  /** Registers the session pins; the router's own status is returned for the caller to map (429 stays 429). */
  async registerSession(body: RegisterSessionRequestDto, requestId?: string): Promise<JsonResponse<unknown>> {
    return this.call('POST', '/register_session', body, requestId);
  }

  async removeSession(body: RemoveSessionRequestDto, requestId?: string): Promise<void> {
    await this.call('POST', '/remove_session', body, requestId).catch(() => undefined);
  }

  /**
   * A plain pass-through call: status and JSON of the router's answer (transport errors mapped),
   * typed with the router's contract class `T` for a 200.
   */
  async raw<T = Record<string, unknown>>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    requestId?: string,
  ): Promise<JsonResponse<T>> {
    return this.call<T>('POST' === method ? 'POST' : 'GET', path, body, requestId);
  }

  /** Whether the router answers its health check (readiness). */
  async reachable(): Promise<boolean> {
    try {
      const response = await this.http.requestJson({
        url: `${this.options['router-addr']}/health`,
        timeoutMs: 1000,
        upstreamName: 'router',
      });
      return response.status === 200;
    } catch {
      return false;
    }
  }
}

export function ensureOk(response: JsonResponse<unknown>, what: string): void {
  if (response.status < 200 || response.status >= 300) {
    throw new AppException(502, ErrorCode.UPSTREAM_BAD_RESPONSE, `${what}: router returned HTTP ${response.status}`, {
      body: { error: `${what}: router returned HTTP ${response.status}: ${detailOf(response.json, '')}` },
    });
  }
}
