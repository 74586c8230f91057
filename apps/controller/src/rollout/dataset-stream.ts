import type { EpisodeOutcome, EpisodeSpec } from './episode.js';
import type { DatasetCursor } from './dataset.js';
import type { ControllerStateService, RecoveredStream } from '../persistence/controller-state.service.js';
import type { RolloutExecutor, TaskOwner } from './rollout-executor.service.js';

export interface PreparedBatch {
  trajectories: EpisodeOutcome[];
  rejected: number;
  timed_out: boolean;
}

/**
 * `prepare_batch`'s continuous submission (AReaL's `prepare_batch`) for one dataset and one episode setup.
 * The cursor persists across calls; episodes started beyond a batch keep running and feed the
 * next one, so the engines stay busy while the trainer trains (within the staleness budget,
 * which holds them in the queue when the trainer falls behind). One call at a time per stream.
 * With `--state-dir` the cursor and the finished-but-untaken episodes survive a controller crash,
 * and the items whose episodes the crash killed run again first.
 */
export class DatasetStream implements TaskOwner {
  inflight = 0;
  private readonly finished: EpisodeOutcome[] = [];
  private wake: (() => void) | null = null;
  private turn: Promise<unknown> = Promise.resolve();
  /** Bumped by reset: outcomes of episodes started before it are dropped (and not counted in `inflight`). */
  private generation = 0;
  private readonly generationOf = new Map<number, number>();
  /** The journal's name of each running task's and each finished outcome's episode. */
  private readonly uidOfTask = new Map<number, string>();
  private readonly uidOf = new WeakMap<EpisodeOutcome, string>();
  /** Items whose episodes a controller crash killed, to run again before the cursor moves on. */
  private rerun: { uid: string; index: number }[] = [];

  constructor(
    readonly key: string,
    readonly dataset: string | null,
    private readonly executor: RolloutExecutor,
    readonly spec: EpisodeSpec,
    /** null ⇒ no dataset: every item is `{}` (online mode, or an agent that needs no data). */
    readonly cursor: DatasetCursor | null,
    private readonly state: ControllerStateService,
    recovered: RecoveredStream | null,
  ) {
    if (!recovered) return;
    if (cursor) {
      cursor.position = recovered.position % cursor.items.length;
      cursor.epoch = recovered.epoch;
      this.rerun = recovered.rerun.filter((r) => r.index < cursor.items.length);
    }
    for (const { uid, outcome } of recovered.finished) {
      this.uidOf.set(outcome, uid);
      this.finished.push(outcome);
    }
  }

  deliver(outcome: EpisodeOutcome): void {
    const generation = this.generationOf.get(outcome.task_id);
    const uid = this.uidOfTask.get(outcome.task_id);
    this.generationOf.delete(outcome.task_id);
    this.uidOfTask.delete(outcome.task_id);
    if (generation !== this.generation || uid === undefined) return;
    this.inflight--;
    this.state.streamFinished(this.key, uid, outcome);
    this.uidOf.set(outcome, uid);
    this.finished.push(outcome);
    this.wake?.();
  }

  get buffered(): number {
    return this.finished.length;
  }

  /** Back to the first item; queued episodes are dropped and running ones' outcomes ignored. */
  reset(): void {
    this.state.streamReset(this.key);
    this.rerun = [];
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
    /** Every outcome this call consumed (accepted or not), for the journal. */
    const consumed: EpisodeOutcome[] = [];
    let attempts = 0;
    const deadline = Date.now() + timeoutMs;
    const full = (): boolean => accepted.length >= batchSize || (dynamicBs && attempts >= batchSize);
    while (!full()) {
      while (this.finished.length > 0 && !full()) {
        const outcome = this.finished.shift()!;
        consumed.push(outcome);
        attempts++;
        if (outcome.accepted) accepted.push(outcome);
      }
      if (full()) break;
      this.topUp((dynamicBs ? batchSize - attempts : batchSize - accepted.length) - this.inflight);
      if (!(await this.nextOutcome(deadline - Date.now(), signal))) {
        // Nobody takes them now: they stay for the next call (the rejected ones are done with).
        this.finished.unshift(...accepted);
        this.taken(consumed.filter((o) => !o.accepted));
        return { trajectories: [], rejected: attempts - accepted.length, timed_out: true };
      }
    }
    // The next batch starts while the trainer trains on this one.
    this.topUp(batchSize - this.inflight - this.finished.length);
    this.taken(consumed);
    return { trajectories: accepted, rejected: attempts - accepted.length, timed_out: false };
  }

  private taken(outcomes: EpisodeOutcome[]): void {
    this.state.streamTaken(
      this.key,
      outcomes.flatMap((o) => this.uidOf.get(o) ?? []),
    );
  }

  private topUp(count: number): void {
    for (let i = 0; i < count; i++) {
      let data: unknown = {};
      let uid: string;
      const again = this.cursor ? this.rerun.shift() : undefined;
      if (this.cursor && again) {
        data = this.cursor.items[again.index];
        uid = this.state.streamStarted(this.key, again.index, this.cursor, again.uid);
      } else if (this.cursor) {
        const next = this.cursor.next();
        data = next.item;
        uid = this.state.streamStarted(this.key, next.index, this.cursor);
      } else {
        uid = this.state.streamStarted(this.key, null, { position: 0, epoch: 0 });
      }
      this.inflight++;
      const id = this.executor.submit(data, this.spec, this);
      this.generationOf.set(id, this.generation);
      this.uidOfTask.set(id, uid);
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
