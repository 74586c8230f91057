import type { WorkerDto } from '@app/contracts';
import { randomUUID } from 'node:crypto';

/** One data proxy ("worker") as the router knows it. */
export interface WorkerRecord {
  workerId: string;
  addr: string;
  /** Routable. Starts true (the reference's optimistic default); health polling maintains it. */
  healthy: boolean;
  consecutiveFailures: number;
  /** In-flight requests the worker last reported on `/health` (or in a heartbeat). */
  reportedActiveRequests: number;
  /** Requests the router sent its way since that report, so least-busy sees its own picks. */
  assignedSinceReport: number;
  registeredAt: number;
  /** Last time the worker proved alive: a successful health check or a heartbeat (ms epoch). */
  lastSeenAt: number;
  lastCheckedAt: number | null;
  lastError: string | null;
}

/**
 * Workers keyed by their exact address string (no normalisation, as the reference), in
 * registration order. Pure state: no I/O, every method synchronous.
 */
export class WorkerRegistry {
  private readonly byAddr = new Map<string, WorkerRecord>();
  private readonly addrById = new Map<string, string>();
  /** Told when a worker's health flag flips or it leaves (pins to it may now answer differently). */
  onWorkerChanged: (addr: string) => void = () => undefined;

  /** Idempotent: an address already known keeps its id and health, and its last-seen time is refreshed. */
  register(addr: string, now: number = Date.now()): { worker: WorkerRecord; created: boolean } {
    const existing = this.byAddr.get(addr);
    if (existing) {
      existing.lastSeenAt = now;
      return { worker: existing, created: false };
    }
    const worker: WorkerRecord = {
      workerId: randomUUID(),
      addr,
      healthy: true,
      consecutiveFailures: 0,
      reportedActiveRequests: 0,
      assignedSinceReport: 0,
      registeredAt: now,
      lastSeenAt: now,
      lastCheckedAt: null,
      lastError: null,
    };
    this.byAddr.set(addr, worker);
    this.addrById.set(worker.workerId, addr);
    return { worker, created: true };
  }

  deregister(addr: string): boolean {
    const worker = this.byAddr.get(addr);
    if (!worker) return false;
    this.byAddr.delete(addr);
    this.addrById.delete(worker.workerId);
    this.onWorkerChanged(addr);
    return true;
  }

  deregisterById(workerId: string): string | null {
    const addr = this.addrById.get(workerId);
    if (addr === undefined) return null;
    this.deregister(addr);
    return addr;
  }

  getById(workerId: string): WorkerRecord | null {
    const addr = this.addrById.get(workerId);
    return addr === undefined ? null : (this.byAddr.get(addr) ?? null);
  }

  getByAddr(addr: string): WorkerRecord | null {
    return this.byAddr.get(addr) ?? null;
  }

  /**
   * Applies one health-check result. A worker turns unhealthy only after `failureThreshold`
   * consecutive failures, and healthy again after one success. Results for a worker removed
   * meanwhile are dropped.
   */
  recordHealthCheck(
    addr: string,
    result: { ok: true; activeRequests?: number } | { ok: false; error: string },
    failureThreshold: number,
    now: number = Date.now(),
  ): void {
    const worker = this.byAddr.get(addr);
    if (!worker) return;
    worker.lastCheckedAt = now;
    const wasHealthy = worker.healthy;
    this.applyCheck(worker, result, failureThreshold, now);
    if (worker.healthy !== wasHealthy) this.onWorkerChanged(addr);
  }

  private applyCheck(
    worker: WorkerRecord,
    result: { ok: true; activeRequests?: number } | { ok: false; error: string },
    failureThreshold: number,
    now: number,
  ): void {
    if (result.ok) {
      worker.healthy = true;
      worker.consecutiveFailures = 0;
      worker.lastSeenAt = now;
      worker.lastError = null;
      if (result.activeRequests !== undefined) this.reportLoad(worker, result.activeRequests);
    } else {
      worker.consecutiveFailures++;
      worker.lastError = result.error;
      if (worker.consecutiveFailures >= failureThreshold) worker.healthy = false;
    }
  }

  /** Sets the health flag directly (tests and operators). */
  setHealthy(addr: string, healthy: boolean): void {
    const worker = this.byAddr.get(addr);
    if (!worker) return;
    if (worker.healthy !== healthy) this.onWorkerChanged(addr);
    worker.healthy = healthy;
    worker.consecutiveFailures = healthy ? 0 : worker.consecutiveFailures;
  }

  reportLoad(worker: WorkerRecord, activeRequests: number): void {
    worker.reportedActiveRequests = activeRequests;
    worker.assignedSinceReport = 0;
  }

  healthyWorkers(): WorkerRecord[] {
    const out: WorkerRecord[] = [];
    for (const worker of this.byAddr.values()) if (worker.healthy) out.push(worker);
    return out;
  }

  allWorkers(): WorkerRecord[] {
    return [...this.byAddr.values()];
  }

  addrs(): string[] {
    return [...this.byAddr.keys()];
  }

  get size(): number {
    return this.byAddr.size;
  }
}

/** A worker as `/workers` and `/register` answer it. */
export function toWorkerDto(worker: WorkerRecord): WorkerDto {
  return {
    worker_id: worker.workerId,
    addr: worker.addr,
    healthy: worker.healthy,
    active_requests: worker.reportedActiveRequests + worker.assignedSinceReport,
    consecutive_failures: worker.consecutiveFailures,
    registered_at: worker.registeredAt / 1000,
    last_seen_at: worker.lastSeenAt / 1000,
    last_checked_at: worker.lastCheckedAt === null ? null : worker.lastCheckedAt / 1000,
    last_error: worker.lastError,
  };
}
