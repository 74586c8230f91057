import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { APP_OPTIONS, ErrorCode, isJsonObject, type RawResponse } from '@app/common';
import type { GatewayOptions } from '../config/gateway-options.js';
import type { RegisterSessionRequestDto, RemoveSessionsRequestDto, StartSessionResponseDto } from '@app/contracts';
import { ForwarderService, rawBody, readJson } from '../proxy/forwarder.service.js';
import { gatewayError } from '../proxy/gateway-error.js';
import { RouterClient } from '../router-client/router-client.service.js';

/**
 * `/rl/start_session`: the router picks a data proxy (taking a capacity permit), the data proxy
 * creates the session(s), the router pins them. If the pin is refused, the session is removed from
 * the data proxy again, so that nothing unreachable is left behind; 429 stays 429.
 */
@Injectable()
export class SessionStartService {
  private readonly logger = new Logger(SessionStartService.name);

  constructor(
    private readonly router: RouterClient,
    private readonly forwarder: ForwarderService,
    @Inject(APP_OPTIONS) private readonly options: GatewayOptions,
  ) {}

  /** The data proxy's 201 (to relay as is), or a gateway error. The caller holds the admin key (`@AdminOnly`). */
  async start(request: FastifyRequest, body: unknown): Promise<RawResponse> {
    // The admin key asks the router to spread new sessions over the workers (no HITL pin).
    const route = await this.router.route(
      { api_key: this.options['admin-api-key'], path: '/rl/start_session' },
      request.id,
    );
    const response = await this.forwarder.call(request, {
      workerAddr: route.worker_addr,
      path: '/rl/start_session',
      body: rawBody(body),
    });
    if (response.status !== 201) return response;
    const created = readJson(response.body).value as StartSessionResponseDto | undefined;
    const pins = sessionPins(created);
    if (!pins) {
      throw gatewayError(
        502,
        ErrorCode.UPSTREAM_BAD_RESPONSE,
        'Session created on worker but its answer has no session id and key',
      );
    }
    const registration = await this.router
      .registerSession({ ...pins.register, worker_addr: route.worker_addr }, request.id)
      .catch((err: unknown) => ({ status: 0, json: undefined, text: String(err), headers: {} }));
    if (registration.status === 200) return response;
    // The pin was refused: do not leave a session nobody can reach on the data proxy.
    await this.forwarder
      .call(request, {
        workerAddr: route.worker_addr,
        path: '/rl/remove_session',
        body: JSON.stringify({ session_ids: pins.sessionIds } satisfies RemoveSessionsRequestDto),
        contentType: 'application/json',
      })
      .catch((err: unknown) =>
        this.logger.warn({ err, worker: route.worker_addr }, 'could not remove the orphaned session'),
      );
    if (registration.status === 429) {
      throw gatewayError(429, ErrorCode.NO_CAPACITY, 'No available capacity to start a new session');
    }
    const detail =
      isJsonObject(registration.json) && typeof registration.json.detail === 'string'
        ? registration.json.detail
        : `HTTP ${registration.status || 'unreachable'}`;
    throw gatewayError(
      502,
      ErrorCode.UPSTREAM_BAD_RESPONSE,
      `Session created on worker but router registration failed: ${detail}`,
    );
  }
}

/** Reads the data proxy's 201: `{session_id, api_key}` or the group form `{group_id, sessions: [...]}`. */
function sessionPins(
  created: StartSessionResponseDto | undefined,
): { register: Omit<RegisterSessionRequestDto, 'worker_addr'>; sessionIds: string[] } | null {
  if (!isJsonObject(created)) return null;
  if (
    typeof created.session_id === 'string' &&
    typeof created.api_key === 'string' &&
    created.session_id &&
    created.api_key
  ) {
    return {
      register: { session_api_key: created.api_key, session_id: created.session_id },
      sessionIds: [created.session_id],
    };
  }
  if (typeof created.group_id === 'string' && Array.isArray(created.sessions)) {
    const sessions = (created.sessions as unknown[])
      .filter(isJsonObject)
      .map((s) => ({ session_api_key: String(s.session_api_key), session_id: String(s.session_id) }));
    if (sessions.length === 0) return null;
    return { register: { sessions, group_id: created.group_id }, sessionIds: sessions.map((s) => s.session_id) };
  }
  return null;
}
