import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly, AppException, ErrorCode, requireJsonObject } from '@app/common';
import { EXPORT_SCHEMAS, ExportService, type ExportRequest, type ExportSchema } from './export.service.js';
import { EXPORT_STYLES, type ExportStyle } from './trajectory-export.js';
import { ExportTrajectoriesRequestDto, ExportTrajectoriesResponseDto } from '@app/contracts';

function bad(message: string): AppException {
  return new AppException(400, ErrorCode.BAD_REQUEST, message);
}

/** Reads both request forms: `session_id` (the reference) or `session_ids` (later upstream). */
export function parseExportRequest(raw: unknown): ExportRequest {
  const body = requireJsonObject(raw);
  let sessionIds: string[];
  let lenient = false;
  if (body.session_ids !== undefined && body.session_ids !== null) {
    if (
      !Array.isArray(body.session_ids) ||
      body.session_ids.length === 0 ||
      body.session_ids.some((s) => typeof s !== 'string')
    ) {
      throw bad('session_ids must be a non-empty list');
    }
    sessionIds = body.session_ids as string[];
    lenient = true;
  } else if (typeof body.session_id === 'string' && body.session_id.length > 0) {
    sessionIds = [body.session_id];
  } else {
    throw bad('session_id is required');
  }
  const trajectoryId = body.trajectory_id ?? null;
  if (trajectoryId !== null && (typeof trajectoryId !== 'number' || !Number.isInteger(trajectoryId)))
    throw bad('trajectory_id must be an integer');
  const discount = body.discount ?? 1.0;
  if (typeof discount !== 'number' || !Number.isFinite(discount) || discount < 0)
    throw bad('discount must be a non-negative number');
  const style = body.style ?? 'individual';
  if (typeof style !== 'string' || !EXPORT_STYLES.includes(style as ExportStyle))
    throw bad(`Invalid export interactions style ${JSON.stringify(style)}`);
  const removeSession = body.remove_session ?? lenient;
  if (typeof removeSession !== 'boolean') throw bad('remove_session must be a boolean');
  const format = body.format ?? 'rpc';
  if (format !== 'rpc' && format !== 'json') throw bad('format must be "rpc" (the reference encoding) or "json"');
  const schema = body.schema ?? null;
  if (schema !== null && !EXPORT_SCHEMAS.includes(schema as ExportSchema))
    throw bad('schema must be "interactions" or "traj" (AReaL 2.0)');
  const normalizeRewards = body.normalize_rewards ?? false;
  if (typeof normalizeRewards !== 'boolean') throw bad('normalize_rewards must be a boolean');
  return {
    sessionIds,
    lenient,
    trajectoryId,
    discount,
    style: style as ExportStyle,
    removeSession,
    format,
    schema: schema as ExportSchema | null,
    normalizeRewards,
  };
}

@ApiTags('export')
@Controller()
export class ExportController {
  constructor(private readonly exports: ExportService) {}

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
  export(@Body() body: unknown): ExportTrajectoriesResponseDto {
    return this.exports.export(parseExportRequest(body));
  }
}
