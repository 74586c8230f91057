import { constantTimeEquals } from '@app/common';
import { HITL_SESSION_ID } from '@app/contracts';
import type { SessionRegistry } from './session-registry.js';

/**
 * The persistent human-in-the-loop session: the admin key's own session, pinned to one worker by
 * the first admin-key route, or again by a data proxy's restore after a router restart. Its key
 * (the admin key) and id are reserved: never registered, restored or removed as an ordinary session.
 */
export class HitlSession {
  constructor(
    private readonly sessions: SessionRegistry,
    private readonly adminKey: string,
  ) {}

  /** Whether `key` is the HITL session's key, the admin key (compared in constant time). */
  isKey(key: string): boolean {
    return constantTimeEquals(key, this.adminKey);
  }

  /** The worker it is pinned to, or null before its first route. */
  get workerAddr(): string | null {
    return this.sessions.lookupByKey(this.adminKey);
  }

  /** Pins it to the worker at `addr`. */
  pin(addr: string): void {
    this.sessions.register(this.adminKey, HITL_SESSION_ID, addr);
  }
}
