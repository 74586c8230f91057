import type { EpisodeOutcome, EpisodeSpec } from './episode.js';
import type { DatasetCursor } from './dataset.js';
import type { RolloutExecutor, TaskOwner } from './rollout-executor.service.js';

export interface PreparedBatch {
  trajectories: EpisodeOutcome[];
  rejected: number;
  timed_out: boolean;
}

/**
 * `prepare_batch`'s continuous submission (spec §3.3) for one dataset and one episode setup.
 * The cursor persists across calls; episodes started beyond a batch keep running and feed the
 * next one, so the engines stay busy while the trainer trains (within the staleness budget,
 * which holds them in the queue when the trainer falls behind). One call at a time per stream.
 */
export class DatasetStream implements TaskOwner {
  inflight = 0;
  private readonly finished: EpisodeOutcome[] = [];
  private wake: (() => void) | null = null;
  private turn: Promise<unknown> = Promise.resolve();
  /** Bumped by reset: outcomes of episodes started before it are dropped (and not counted in `inflight`). */
  private generation = 0;
  private readonly generationOf = new Map<number, number>();

  constructor(
    readonly key: string,
    readonly dataset: string | null,
    private readonly executor: RolloutExecutor,
    readonly spec: EpisodeSpec,
    /** null ⇒ no dataset: every item is `{}` (online mode, or an agent that needs no data). */
    readonly cursor: DatasetCursor | null,
  ) {}

  deliver(outcome: EpisodeOutcome): void {
    const generation = this.generationOf.get(outcome.task_id);
    this.generationOf.delete(outcome.task_id);
    if (generation !== this.generation) return;
    this.inflight--;
    this.finished.push(outcome);
    this.wake?.();
  }

  get buffered(): number {
    return this.finished.length;
  }

  /** Back to the first item; queued episodes are dropped and running ones' outcomes ignored. */
  reset(): void {
    this.cursor?.reset();
    this.generation++;
    this.executor.cancelQueued(this);
    this.inflight = 0;
    this.finished.length = 0;
  }

  prepare(batchSize: number, dynamicBs: boolean, timeoutMs: number, signal: AbortSignal): Promise<PreparedBatch> {
    const run = this.turn.then(() => this.collect(batchSize, dynamicBs, timeoutMs, signal));
    this.turn = run.catch(() => undefined);
    return run;
  }

  private async collect(
    batchSize: number,
    dynamicBs: boolean,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<PreparedBatch> {
    const accepted: EpisodeOutcome[] = [];
    let attempts = 0;
    const deadline = Date.now() + timeoutMs;
    const full = (): boolean => accepted.length >= batchSize || (dynamicBs && attempts >= batchSize);
    while (!full()) {
      while (this.finished.length > 0 && !full()) {
        const outcome = this.finished.shift()!;
        attempts++;
        if (outcome.accepted) accepted.push(outcome);
      }
      if (full()) break;
      this.topUp((dynamicBs ? batchSize - attempts : batchSize - accepted.length) - this.inflight);
      if (!(await this.nextOutcome(deadline - Date.now(), signal))) {
        // Nobody takes them now: they stay for the next call.
        this.finished.unshift(...accepted);
        return { trajectories: [], rejected: attempts - accepted.length, timed_out: true };
      }
    }
    // The next batch starts while the trainer trains on this one.
    this.topUp(batchSize - this.inflight - this.finished.length);
    return { trajectories: accepted, rejected: attempts - accepted.length, timed_out: false };
  }

  private topUp(count: number): void {
    for (let i = 0; i < count; i++) {
      const data = this.cursor ? this.cursor.next().item : {};
      this.inflight++;
      const id = this.executor.submit(data, this.spec, this);
      this.generationOf.set(id, this.generation);
    }
  }

  /** Resolves true when an outcome arrives, false at the timeout or when the caller leaves. */
  private nextOutcome(timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    if (this.finished.length > 0) return Promise.resolve(true);
    if (timeoutMs <= 0 || signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const finish = (value: boolean): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', leave);
        this.wake = null;
        resolve(value);
      };
      const leave = (): void => finish(false);
      const timer = setTimeout(leave, timeoutMs);
      signal.addEventListener('abort', leave, { once: true });
      this.wake = () => finish(true);
    });
  }
}
