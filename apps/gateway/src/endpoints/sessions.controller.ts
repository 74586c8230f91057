import { Body, Controller, HttpCode, Logger, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AdminOnly, ErrorCode } from '@app/common';
import { ForwarderService, rawBody, readJson, send } from '../proxy/forwarder.service.js';
import { gatewayError } from '../proxy/gateway-error.js';
import { PinCacheService } from '../router-client/pin-cache.service.js';
import { RouterClient } from '../router-client/router-client.service.js';
import { isObject } from './bearer.js';

/** Session creation (pinning the new session in the router) and trajectory export (unpinning it). */
@ApiTags('sessions')
@AdminOnly()
@Controller()
export class SessionsController {
  private readonly logger = new Logger(SessionsController.name);

  constructor(
    private readonly router: RouterClient,
    private readonly forwarder: ForwarderService,
    private readonly pins: PinCacheService,
  ) {}

  @Post('rl/start_session')
  @HttpCode(201)
  @ApiOperation({
    summary:
      'Start a session on a data proxy chosen by the routing strategy and pin it in the router (takes a capacity permit: 429 when none)',
  })
  async start(@Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const admin = request.headers.authorization?.slice(7).trim() ?? '';
    const route = await this.router.route({ api_key: admin, path: '/rl/start_session' }, request.id);
    const response = await this.forwarder.call(request, {
      workerAddr: route.worker_addr,
      path: '/rl/start_session',
      body: rawBody(body),
    });
    if (response.status !== 201) return send(reply, response);
    const created = readJson(response.body).value;
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
    if (registration.status === 200) return send(reply, response);
    // The pin was refused: do not leave a session nobody can reach on the data proxy.
    await this.forwarder
      .call(request, {
        workerAddr: route.worker_addr,
        path: '/rl/remove_session',
        body: JSON.stringify({ session_ids: pins.sessionIds }),
        contentType: 'application/json',
      })
      .catch((err: unknown) =>
        this.logger.warn({ err, worker: route.worker_addr }, 'could not remove the orphaned session'),
      );
    if (registration.status === 429) {
      throw gatewayError(429, ErrorCode.NO_CAPACITY, 'No available capacity to start a new session');
    }
    const detail =
      isObject(registration.json) && typeof registration.json.detail === 'string'
        ? registration.json.detail
        : `HTTP ${registration.status || 'unreachable'}`;
    throw gatewayError(
      502,
      ErrorCode.UPSTREAM_BAD_RESPONSE,
      `Session created on worker but router registration failed: ${detail}`,
    );
  }

  @Post('export_trajectories')
  @HttpCode(200)
  @ApiOperation({
    summary:
      "Export a session's ready trajectory from the data proxy that holds it; the router pin is released after a 200",
  })
  async export(@Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { valid, value } = readJson(body);
    if (!valid) throw gatewayError(400, ErrorCode.MALFORMED_JSON, 'Invalid JSON body');
    if (!isObject(value)) throw gatewayError(400, ErrorCode.BAD_REQUEST, 'body must be a JSON object');
    let forwardBody = rawBody(body);
    let sessionId = typeof value.session_id === 'string' && value.session_id ? value.session_id : null;
    const sessionIds =
      Array.isArray(value.session_ids) && value.session_ids.every((s) => typeof s === 'string')
        ? value.session_ids
        : null;
    // The reference's model → session_id substitution (a model name used as a session id).
    if (!sessionId && !sessionIds && typeof value.model === 'string' && value.model) {
      sessionId = value.model;
      forwardBody = JSON.stringify({ ...value, session_id: sessionId });
      // (content type stays the caller's: it sent JSON)
    }
    const routeBy = sessionId ?? sessionIds?.[0];
    if (!routeBy)
      throw gatewayError(400, ErrorCode.BAD_REQUEST, sessionIds ? 'session_ids is required' : 'session_id is required');
    const route = await this.router.route({ session_id: routeBy }, request.id);
    const response = await this.forwarder.call(request, {
      workerAddr: route.worker_addr,
      path: '/export_trajectories',
      body: forwardBody,
    });
    if (response.status === 200 && value.remove_session !== false) {
      // Release the pin (the router keeps the persistent HITL one). An explicit remove_session:
      // false keeps the session reachable for more turns.
      const ids = sessionIds ?? [sessionId as string];
      for (const id of ids) this.pins.forgetSession(id);
      await Promise.all(ids.map((id) => this.router.removeSession({ session_id: id }, request.id)));
    }
    send(reply, response);
  }
}

/** Reads the data proxy's 201: `{session_id, api_key}` or the group form `{group_id, sessions: [...]}`. */
function sessionPins(created: unknown): { register: Record<string, unknown>; sessionIds: string[] } | null {
  if (!isObject(created)) return null;
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
      .filter(isObject)
      .map((s) => ({ session_api_key: String(s.session_api_key), session_id: String(s.session_id) }));
    if (sessions.length === 0) return null;
    return { register: { sessions, group_id: created.group_id }, sessionIds: sessions.map((s) => s.session_id) };
  }
  return null;
}
