import { Injectable, Logger } from '@nestjs/common';
import { AppException, ErrorCode } from '@app/common';
import { RouterState } from '../router-state.js';
import type { WorkerDto } from '@app/contracts';
import { toWorkerDto } from './worker-registry.js';
import { HealthPollerService } from './health-poller.service.js';

@Injectable()
export class WorkersService {
  private readonly logger = new Logger(WorkersService.name);

  constructor(
    private readonly state: RouterState,
    private readonly poller: HealthPollerService,
  ) {}

  /** Registers (or heartbeats) a worker; a new worker is health-checked right away. */
  get routerInstance(): string {
    return this.state.instanceId;
  }

  register(addr: string, activeRequests?: number): string {
    const { worker, created } = this.state.workers.register(addr);
    if (activeRequests !== undefined) this.state.workers.reportLoad(worker, activeRequests);
    if (created) {
      this.logger.log({ worker: addr, workerId: worker.workerId }, 'worker registered');
      void this.poller.checkWorker(addr);
    }
    return worker.workerId;
  }

  /** Returns the number of session keys revoked with the worker. */
  unregister(workerId: string | null, workerAddr: string | null): number {
    let addr: string;
    if (workerId !== null) {
      const worker = this.state.workers.getById(workerId);
      if (!worker) throw new AppException(404, ErrorCode.WORKER_NOT_FOUND, `Worker ID ${workerId} not found`);
      addr = worker.addr;
    } else if (workerAddr !== null) {
      addr = workerAddr;
    } else {
      throw new AppException(422, ErrorCode.VALIDATION_FAILED, "Either 'worker_id' or 'worker_addr' must be provided");
    }
    const existed = this.state.workers.getByAddr(addr) !== null;
    const revoked = this.state.removeWorker(addr);
    if (existed) this.logger.log({ worker: addr, sessionsRevoked: revoked }, 'worker unregistered');
    return revoked;
  }

  list(): WorkerDto[] {
    return this.state.workers.allWorkers().map(toWorkerDto);
  }

  resolve(workerId: string): string {
    const worker = this.state.workers.getById(workerId);
    if (!worker) throw new AppException(404, ErrorCode.WORKER_NOT_FOUND, `Worker ID ${workerId} not found`);
    return worker.addr;
  }
}
