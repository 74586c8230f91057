import { Body, Controller, Param } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '@app/common';
import {
  RegisterWorkerRequestDto,
  RegisterWorkerResponseDto,
  ResolveWorkerResponseDto,
  UnregisterWorkerRequestDto,
  UnregisterWorkerResponseDto,
  WorkersResponseDto,
} from '@app/contracts';
import { RouterGet, RouterPost } from '../router-operation.js';
import { WorkersService } from './workers.service.js';

@ApiTags('workers')
@AdminOnly()
@Controller()
export class RouterWorkersController {
  constructor(private readonly workers: WorkersService) {}

  @RouterPost('register', {
    summary: 'Register a data proxy, or heartbeat an already registered one (idempotent)',
    answer: RegisterWorkerResponseDto,
  })
  register(@Body() body: RegisterWorkerRequestDto): RegisterWorkerResponseDto {
    return {
      status: 'ok',
      worker_id: this.workers.register(body.worker_addr, body.active_requests),
      router_instance: this.workers.routerInstance,
    };
  }

  @RouterPost('unregister', {
    summary: 'Remove a worker by id (precedence) or address, with its sessions',
    answer: UnregisterWorkerResponseDto,
    errors: { 404: 'Unknown worker_id' },
  })
  unregister(@Body() body: UnregisterWorkerRequestDto): UnregisterWorkerResponseDto {
    return {
      status: 'ok',
      sessions_revoked: this.workers.unregister(body.worker_id ?? null, body.worker_addr ?? null),
    };
  }

  @RouterGet('workers', {
    summary: 'Every registered worker with its health, in registration order',
    answer: WorkersResponseDto,
  })
  list(): WorkersResponseDto {
    return { workers: this.workers.list() };
  }

  @RouterGet('resolve_worker/:worker_id', {
    summary: 'Worker id → address (health ignored)',
    answer: ResolveWorkerResponseDto,
    errors: { 404: 'Unknown worker id' },
  })
  resolve(@Param('worker_id') workerId: string): ResolveWorkerResponseDto {
    return { worker_id: workerId, worker_addr: this.workers.resolve(workerId) };
  }
}
