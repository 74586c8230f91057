import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Counter, Histogram } from 'prom-client';
import { ApiBody, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly, AppException, ErrorCode, MetricsService } from '@app/common';
import { ExportService, type ExportRequest } from './export.service.js';
import { ExportTrajectoriesRequestDto, ExportTrajectoriesResponseDto } from '@app/contracts';

/**
 * The export settings of a validated body, with its defaults. `session_ids` (a group; later
 * upstream form) is lenient: unknown or unready sessions are skipped, and the sessions go by default.
 */
export function exportRequestOf(body: ExportTrajectoriesRequestDto): ExportRequest {
  const lenient = body.session_ids !== undefined && body.session_ids !== null;
  const sessionIds = body.session_ids ?? (body.session_id ? [body.session_id] : null);
  if (!sessionIds) throw new AppException(400, ErrorCode.BAD_REQUEST, 'session_id is required');
  return {
    sessionIds,
    lenient,
    trajectoryId: body.trajectory_id ?? null,
    discount: body.discount ?? 1.0,
    style: body.style ?? 'individual',
    removeSession: body.remove_session ?? lenient,
    format: body.format ?? 'rpc',
    schema: body.schema ?? null,
    normalizeRewards: body.normalize_rewards ?? false,
  };
}

@ApiTags('export')
@Controller()
export class ExportController {
  private readonly exportDuration: Histogram;
  private readonly exportBytes: Counter;

  constructor(
    private readonly exports: ExportService,
    metrics: MetricsService,
  ) {
    this.exportDuration = metrics.histogram(
      'data_proxy_trajectory_export_duration_seconds',
      'Time to build one /export_trajectories answer (rows, tensors or shard references)',
      [],
      [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    );
    this.exportBytes = metrics.counter(
      'data_proxy_trajectory_export_bytes_total',
      'Bytes of /export_trajectories answers',
    );
  }

  @Post('export_trajectories')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({
    summary:
      'Export ready trajectories as training data. schema "interactions" ({"interactions": {<id>: ...}}) or "traj" (AReaL 2.0: {"traj": one padded batch}); format "rpc" (AReaL RTensor references fetched from /data) or "json" (plain arrays); normalize_rewards: group reward normalization across the listed sessions',
  })
  @ApiNotFoundResponse({ description: 'Unknown session or trajectory (interactions schema, session_id form)' })
  @ApiBody({ type: ExportTrajectoriesRequestDto })
  @ApiOkResponse({ type: ExportTrajectoriesResponseDto })
  export(@Body() body: ExportTrajectoriesRequestDto, @Res() reply: FastifyReply): void {
    const started = performance.now();
    const answer: ExportTrajectoriesResponseDto = this.exports.export(exportRequestOf(body));
    // Serialized here, once, so its size is known for the metrics.
    const json = JSON.stringify(answer);
    this.exportDuration.observe((performance.now() - started) / 1000);
    this.exportBytes.inc(Buffer.byteLength(json));
    void reply.status(200).header('content-type', 'application/json; charset=utf-8').send(json);
  }
}
