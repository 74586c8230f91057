import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_OPTIONS } from '@app/common';
import { CapacityManager } from './capacity/capacity-manager.js';
import type { RouterOptions } from './config/router-options.js';
import { ModelRegistry } from './models/model-registry.js';
import { PinEvents } from './pins/pin-events.js';
import { createRoutingStrategy, type RoutingStrategy } from './routing/routing-strategies.js';
import { HitlSession } from './sessions/hitl-session.js';
import { SessionRegistry } from './sessions/session-registry.js';
import { WorkerRegistry } from './workers/worker-registry.js';

/**
 * All router state, in memory, in one place. Every transition is synchronous (no `await` between
 * a read and the write that depends on it), which is what makes concurrent requests safe in Node.
 */
@Injectable()
export class RouterState {
  readonly workers = new WorkerRegistry();
  readonly sessions = new SessionRegistry();
  readonly hitl: HitlSession;
  readonly models = new ModelRegistry();
  readonly capacity: CapacityManager;
  readonly pins = new PinEvents();
  readonly strategy: RoutingStrategy;
  /**
   * Changes with every router process. A data proxy that sees a new one in its heartbeat answer
   * knows this router has lost its pins and announces its live sessions again (`/restore_sessions`).
   */
  readonly instanceId = randomUUID();

  constructor(@Inject(APP_OPTIONS) options: RouterOptions) {
    this.strategy = createRoutingStrategy(options['routing-strategy']);
    this.capacity = new CapacityManager(options['capacity-permits']);
    this.hitl = new HitlSession(this.sessions, options['admin-api-key']);
    this.sessions.onKeysChanged = (keys) => this.pins.invalidate(keys);
    // A health flip changes what every pin to that worker answers (200 or 503): drop them all.
    this.workers.onWorkerChanged = () => this.pins.flush();
  }

  /**
   * Removes a worker and everything that points at it: its sessions (the HITL pin included, so the
   * next admin route re-pins) and its address in model entries. Returns the session keys revoked.
   */
  removeWorker(addr: string): number {
    this.workers.deregister(addr);
    this.models.pruneAddr(addr);
    return this.sessions.revokeByWorker(addr);
  }
}
