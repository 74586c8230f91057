import {
  Body,
  CanActivate,
  Controller,
  Delete,
  ExecutionContext,
  Get,
  HttpCode,
  Inject,
  Injectable,
  Param,
  Post,
  Put,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBody,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AdminKeyGuard, AdminOnly, APP_OPTIONS, AppException, ErrorCode } from '@app/common';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import { deserializeTensor, serializeTensor } from './rpc-encoding.js';
import { ShardStore } from './shard-store.service.js';
import {
  ClearShardsResponseDto,
  SerializedTensorDto,
  ShardErrorResponseDto,
  ShardIdsRequestDto,
  StoreShardResponseDto,
} from '@app/contracts';

const SHARD_ID = /^[A-Za-z0-9._:-]{1,256}$/;

function shardError(status: number, message: string, extra: Record<string, unknown> = {}): AppException {
  return new AppException(status, status === 404 ? ErrorCode.NOT_FOUND : ErrorCode.BAD_REQUEST, message, {
    body: { status: 'error', message, ...extra },
    omitCode: true,
  });
}

function checkId(id: string): string {
  if (!SHARD_ID.test(id)) throw shardError(400, `Invalid shard id ${JSON.stringify(id.slice(0, 64))}`);
  return id;
}

/**
 * Reads and deletes need no key by default: the reference trainer sends none, and a shard id is
 * an unguessable UUID handed out by an admin-only export. `--data-require-admin-key` closes them.
 */
@Injectable()
export class ShardReadGuard implements CanActivate {
  constructor(
    private readonly admin: AdminKeyGuard,
    @Inject(APP_OPTIONS) private readonly options: DataProxyOptions,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.options['data-require-admin-key']) return true;
    return this.admin.check(context.switchToHttp().getRequest<FastifyRequest>());
  }
}

/** The tensor shard endpoints the AReaL trainer's RTensor client uses to fetch exported tensors. */
@ApiTags('data')
@Controller('data')
export class DataController {
  constructor(private readonly shards: ShardStore) {}

  @Post('batch')
  @HttpCode(200)
  @UseGuards(ShardReadGuard)
  @ApiOperation({ summary: 'Fetch shards: {"shard_ids": [...]} → JSON list of serialized tensors, in request order' })
  @ApiBody({ type: ShardIdsRequestDto })
  @ApiExtraModels(SerializedTensorDto)
  @ApiOkResponse({
    description: 'A JSON list of serialized tensors, sent as application/octet-stream (as the reference)',
    content: {
      'application/octet-stream': { schema: { type: 'array', items: { $ref: getSchemaPath(SerializedTensorDto) } } },
    },
  })
  @ApiResponse({
    status: 400,
    type: ShardErrorResponseDto,
    description: 'Bad body, or unknown shards (missing_shard_ids)',
  })
  batch(@Body() body: unknown, @Res() reply: FastifyReply): void {
    const ids =
      typeof body === 'object' && body !== null && !Array.isArray(body)
        ? (body as Record<string, unknown>).shard_ids
        : undefined;
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
      throw shardError(400, "Expected JSON body with string list field 'shard_ids'");
    }
    const missing = (ids as string[]).filter((id) => !this.shards.get(id));
    if (missing.length > 0)
      throw shardError(400, 'One or more requested shards were not found', { missing_shard_ids: missing });
    const payload = JSON.stringify((ids as string[]).map((id) => serializeTensor(this.shards.get(id)!)));
    void reply.status(200).header('content-type', 'application/octet-stream').send(payload);
  }

  @Delete('clear')
  @HttpCode(200)
  @UseGuards(ShardReadGuard)
  @ApiOperation({ summary: 'Drop shards: {"shard_ids": [...]}; unknown ids are ignored' })
  @ApiBody({ type: ShardIdsRequestDto })
  @ApiOkResponse({ type: ClearShardsResponseDto })
  @ApiResponse({ status: 400, type: ShardErrorResponseDto, description: 'shard_ids is not a list' })
  clear(@Body() body: unknown): ClearShardsResponseDto {
    const ids =
      typeof body === 'object' && body !== null && !Array.isArray(body)
        ? (body as Record<string, unknown>).shard_ids
        : undefined;
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string'))
      throw shardError(400, "'shard_ids' must be a list");
    let cleared = 0;
    for (const id of ids as string[]) if (this.shards.delete(id)) cleared++;
    return { status: 'ok', cleared_count: cleared, num_tensors: this.shards.count, total_bytes: this.shards.bytes };
  }

  @Get(':shard_id')
  @UseGuards(ShardReadGuard)
  @ApiOperation({ summary: 'Fetch one shard as a serialized tensor' })
  @ApiOkResponse({
    description: 'One serialized tensor, sent as application/octet-stream (as the reference)',
    content: { 'application/octet-stream': { schema: { $ref: getSchemaPath(SerializedTensorDto) } } },
  })
  @ApiResponse({ status: 404, type: ShardErrorResponseDto, description: 'Unknown shard' })
  get(@Param('shard_id') shardId: string, @Res() reply: FastifyReply): void {
    const tensor = this.shards.get(checkId(shardId));
    if (!tensor) throw shardError(404, `Shard ${shardId} not found`);
    void reply
      .status(200)
      .header('content-type', 'application/octet-stream')
      .send(JSON.stringify(serializeTensor(tensor)));
  }

  @Put(':shard_id')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Store a serialized tensor under an id (admin key)' })
  @ApiBody({ type: SerializedTensorDto })
  @ApiOkResponse({ type: StoreShardResponseDto })
  @ApiResponse({ status: 400, type: ShardErrorResponseDto, description: 'Not a serialized tensor' })
  put(@Param('shard_id') shardId: string, @Body() body: unknown): StoreShardResponseDto {
    checkId(shardId);
    let value: unknown = body;
    if (Buffer.isBuffer(body)) {
      try {
        value = JSON.parse(body.toString('utf8'));
      } catch {
        throw shardError(400, 'Body is not JSON');
      }
    }
    let tensor;
    try {
      tensor = deserializeTensor(value);
    } catch (err) {
      throw shardError(400, `Not a serialized tensor: ${(err as Error).message}`);
    }
    this.shards.put(tensor, shardId);
    return { status: 'ok', shard_id: shardId };
  }
}
