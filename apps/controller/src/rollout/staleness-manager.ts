import type { CapacityTermsDto } from '@app/contracts';

export interface StalenessLimits {
  /** Episodes that may run at once (`max_concurrent_rollouts`, 0 ⇒ the batch size). */
  maxConcurrent: number;
  /** Accepted episodes the trainer consumes per version step (`consumer_batch_size`). */
  consumerBatchSize: number;
  /** How many versions an accepted episode may lag behind (`max_head_offpolicyness`). */
  maxHeadOffpolicyness: number;
}

/** The staleness budget's terms, as `/capacity` and `/rollout/status` answer them. */
export type CapacityTerms = CapacityTermsDto;

/**
 * How many more episodes may start now without exceeding the staleness budget (AReaL's StalenessManager). One
 * instance is shared by the dispatcher and the public API, so `GET /capacity` shows the numbers
 * that actually gate dispatching (the reference had two, one of them never updated).
 */
export class StalenessManager {
  enqueued = 0;
  running = 0;
  /** Cumulative; never decremented when the trainer consumes samples. */
  accepted = 0;
  rejected = 0;

  constructor(
    private readonly limits: StalenessLimits,
    private readonly currentVersion: () => number,
  ) {}

  get maxConcurrent(): number {
    return Math.max(1, this.limits.maxConcurrent || this.limits.consumerBatchSize);
  }

  terms(): CapacityTerms {
    const version = this.currentVersion();
    const batch = Math.max(1, this.limits.consumerBatchSize);
    const concurrencyRoom = this.maxConcurrent - this.running;
    const stalenessRoom = (this.limits.maxHeadOffpolicyness + version + 1) * batch - (this.accepted + this.running);
    return {
      capacity: Math.min(concurrencyRoom, stalenessRoom),
      version,
      concurrency_room: concurrencyRoom,
      staleness_room: stalenessRoom,
      max_concurrent_rollouts: this.maxConcurrent,
      consumer_batch_size: batch,
      max_head_offpolicyness: this.limits.maxHeadOffpolicyness,
      enqueued: this.enqueued,
      running: this.running,
      accepted: this.accepted,
      rejected: this.rejected,
    };
  }

  capacity(): number {
    return this.terms().capacity;
  }

  onEnqueue(): void {
    this.enqueued++;
  }

  /** A queued episode left the queue without running (its batch was cancelled). */
  onDequeue(): void {
    this.enqueued--;
  }

  onStart(): void {
    this.enqueued--;
    this.running++;
  }

  onFinish(accepted: boolean): void {
    this.running--;
    if (accepted) this.accepted++;
    else this.rejected++;
  }

  /**
   * A new version means the trainer consumed `version × consumer_batch_size` accepted episodes
   * at least; counting fewer would hand out budget the trainer never granted. After a restart of
   * the controller (counters at 0) or of the trainer (resumed from a checkpoint), the first
   * set_version therefore puts `accepted` where the budget expects it: the reference's
   * `on_version_recovered`, applied on every version change so nobody has to remember to call it.
   */
  onVersion(version: number): void {
    this.accepted = Math.max(this.accepted, version * Math.max(1, this.limits.consumerBatchSize));
  }
}
