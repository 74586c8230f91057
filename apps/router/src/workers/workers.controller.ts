import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '@app/common';
import {
  RegisterWorkerRequestDto,
  RegisterWorkerResponseDto,
  ResolveWorkerResponseDto,
  UnregisterWorkerRequestDto,
  UnregisterWorkerResponseDto,
  WorkersResponseDto,
} from '@app/contracts';
import { WorkersService } from './workers.service.js';

@ApiTags('workers')
@AdminOnly()
@Controller()
export class RouterWorkersController {
  constructor(private readonly workers: WorkersService) {}

  @Post('register')
  @HttpCode(200)
  @ApiOperation({ summary: 'Register a data proxy, or heartbeat an already registered one (idempotent)' })
  @ApiOkResponse({ type: RegisterWorkerResponseDto })
  register(@Body() body: RegisterWorkerRequestDto): RegisterWorkerResponseDto {
    return {
      status: 'ok',
      worker_id: this.workers.register(body.worker_addr, body.active_requests),
      router_instance: this.workers.routerInstance,
    };
  }

  @Post('unregister')
  @HttpCode(200)
  @ApiOperation({ summary: 'Remove a worker by id (precedence) or address, with its sessions' })
  @ApiOkResponse({ type: UnregisterWorkerResponseDto })
  @ApiNotFoundResponse({ description: 'Unknown worker_id' })
  unregister(@Body() body: UnregisterWorkerRequestDto): UnregisterWorkerResponseDto {
    return {
      status: 'ok',
      sessions_revoked: this.workers.unregister(body.worker_id ?? null, body.worker_addr ?? null),
    };
  }

  @Get('workers')
  @ApiOperation({ summary: 'Every registered worker with its health, in registration order' })
  @ApiOkResponse({ type: WorkersResponseDto })
  list(): WorkersResponseDto {
    return { workers: this.workers.list() };
  }

  @Get('resolve_worker/:worker_id')
  @ApiOperation({ summary: 'Worker id → address (health ignored)' })
  @ApiOkResponse({ type: ResolveWorkerResponseDto })
  @ApiNotFoundResponse({ description: 'Unknown worker id' })
  resolve(@Param('worker_id') workerId: string): ResolveWorkerResponseDto {
    return { worker_id: workerId, worker_addr: this.workers.resolve(workerId) };
  }
}
