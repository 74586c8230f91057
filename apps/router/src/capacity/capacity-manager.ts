/**
 * Staleness permits: the trainer grants one per episode it is willing to start; each session
 * registration takes one. Synchronous, so concurrent requests can never over-acquire.
 */
export class CapacityManager {
  private permits = 0;

  grant(count = 1): number {
    this.permits += count;
    return this.permits;
  }

  /** Takes `count` permits only if all are available. */
  tryAcquire(count = 1): boolean {
    if (this.permits < count || count <= 0) return false;
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
