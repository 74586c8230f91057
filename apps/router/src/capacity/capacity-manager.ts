/**
 * Staleness permits: the trainer grants one per episode it is willing to start; each session
 * registration takes one. Synchronous, so concurrent requests can never over-acquire. Not
 * enforced (`--capacity-permits off`, AReaL 2.0): every acquisition succeeds and takes nothing;
 * grants and releases are still counted, so 1.x trainers that grant keep working.
 */
export class CapacityManager {
  private permits = 0;

  constructor(readonly enforced = true) {}

  grant(count = 1): number {
    this.permits += count;
    return this.permits;
  }

  /** Takes `count` permits only if all are available. */
  tryAcquire(count = 1): boolean {
    if (count <= 0) return false;
    if (!this.enforced) return true;
    if (this.permits < count) return false;
    this.permits -= count;
    return true;
  }

  release(count = 1): number {
    this.permits += count;
    return this.permits;
  }

  get capacity(): number {
    return this.permits;
  }
}
