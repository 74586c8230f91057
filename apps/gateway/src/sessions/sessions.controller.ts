import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AdminOnly, ErrorCode } from '@app/common';
import { ForwarderService, rawBody, readJson, send } from '../proxy/forwarder.service.js';
import { gatewayError } from '../proxy/gateway-error.js';
import { PinCacheService } from '../router-client/pin-cache.service.js';
import { RouterClient } from '../router-client/router-client.service.js';
import { SessionStartService } from './session-start.service.js';
import {
  ExportTrajectoriesRequestDto,
  ExportTrajectoriesResponseDto,
  StartSessionRequestDto,
  StartSessionResponseDto,
} from '@app/contracts';

/** Session creation (pinning the new session in the router) and trajectory export (unpinning it). */
@ApiTags('sessions')
@AdminOnly()
@Controller()
export class GatewaySessionsController {
  constructor(
    private readonly router: RouterClient,
    private readonly forwarder: ForwarderService,
    private readonly pins: PinCacheService,
    private readonly starter: SessionStartService,
  ) {}

  @Post('rl/start_session')
  @HttpCode(201)
  @ApiOperation({
    summary:
      'Start a session on a data proxy chosen by the routing strategy and pin it in the router (takes a capacity permit: 429 when none)',
  })
  @ApiBody({ type: StartSessionRequestDto })
  @ApiCreatedResponse({ type: StartSessionResponseDto })
  @ApiResponse({ status: 429, description: 'No capacity permit (the trainer grants them)' })
  @ApiResponse({ status: 502, description: 'The data proxy or the router failed; nothing is left behind' })
  @ApiResponse({ status: 503, description: 'No healthy data proxy' })
  async start(@Body() body: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    send(reply, await this.starter.start(request, body));
  }

  @Post('export_trajectories')
  @HttpCode(200)
  @ApiOperation({
    summary:
      "Export a session's ready trajectory from the data proxy that holds it; the router pin is released after a 200",
  })
  @ApiBody({ type: ExportTrajectoriesRequestDto })
  @ApiOkResponse({ type: ExportTrajectoriesResponseDto })
  @ApiResponse({ status: 404, description: 'Unknown session, or no ready trajectory' })
  async export(
    @Body() body: ExportTrajectoriesRequestDto,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    // Validated with the data proxy's contract class (the gateway routes by it); the caller's own
    // bytes are forwarded.
    let forwardBody = rawBody(request.body);
    let sessionId = body.session_id || null;
    const sessionIds = body.session_ids ?? null;
    // The reference's model → session_id substitution (a model name used as a session id).
    if (!sessionId && !sessionIds && body.model) {
      sessionId = body.model;
      forwardBody = JSON.stringify({ ...(readJson(request.body).value as object), session_id: sessionId });
    }
    const routeBy = sessionId ?? sessionIds?.[0];
    if (!routeBy) throw gatewayError(400, ErrorCode.BAD_REQUEST, 'session_id is required');
    const route = await this.router.route({ session_id: routeBy }, request.id);
    const response = await this.forwarder.call(request, {
      workerAddr: route.worker_addr,
      path: '/export_trajectories',
      body: forwardBody,
    });
    if (response.status === 200 && body.remove_session !== false) {
      // Release the pin (the router keeps the persistent HITL one). An explicit remove_session:
      // false keeps the session reachable for more turns.
      const ids = sessionIds ?? [sessionId as string];
      for (const id of ids) this.pins.forgetSession(id);
      await Promise.all(ids.map((id) => this.router.removeSession({ session_id: id }, request.id)));
    }
    send(reply, response);
  }
}
