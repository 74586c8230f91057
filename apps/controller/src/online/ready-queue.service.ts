import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { APP_OPTIONS, KeyedWaiters } from '@app/common';
import type { ControllerOptions } from '../config/controller-options.js';
import { ControllerStateService, readyKey } from '../persistence/controller-state.service.js';
import type { ReadyTrajectoryRefDto } from '@app/contracts';

/** A ready notice in the queue: the contract's shape (it is what the trainer gets back). */
export type ReadyTrajectoryRef = ReadyTrajectoryRefDto;

interface Waiter {
  count: number;
  resolve: (items: ReadyTrajectoryRef[]) => void;
  timer: NodeJS.Timeout;
}

const REMEMBERED_KEYS = 100_000;
/** Ready notices kept for the controller's own (agent) sessions until their episode exports them. */
const REMEMBERED_OFFLINE = 10_000;

/**
 * Ready-trajectory notifications from the data proxies, handed to trainers that wait for them.
 * Each (session, trajectory) is taken at most once: the data proxies retry a callback until it
 * is acknowledged, so repeats are expected and dropped. With no waiter, notifications queue up
 * to `--ready-queue-size`; beyond that the oldest is dropped and counted.
 *
 * Sessions that the controller's own agent episodes start (their ids begin with `offlinePrefix`)
 * never enter the online queue: their notices go to the episode waiting for them. The reference
 * queued them too, so an online waiter could export an agent episode's trajectory.
 *
 * With `--state-dir` the queue survives a controller crash: a notice is journaled before the data
 * proxy's callback is acknowledged, and leaves the journal only once a trainer's answer carried it
 * (`delivered`), so each is delivered once.
 */
@Injectable()
export class ReadyQueueService implements BeforeApplicationShutdown {
  private readonly queue: ReadyTrajectoryRef[] = [];
  private readonly waiters: Waiter[] = [];
  /** Keys seen recently, oldest first (a Set keeps insertion order). */
  private readonly seen = new Set<string>();
  received = 0;
  duplicates = 0;
  dropped = 0;
  /** Task ids of the controller's agent sessions start with this; unique per controller (kept across its restarts). */
  readonly offlinePrefix: string;
  private readonly offlineReady = new Map<string, number>();
  private readonly offlineWaiters = new KeyedWaiters<string, number>();

  constructor(
    @Inject(APP_OPTIONS) private readonly options: ControllerOptions,
    private readonly state: ControllerStateService,
  ) {
    this.offlinePrefix = state.offlinePrefix;
    const recovered = state.recoveredReady();
    for (const key of recovered.delivered) this.seen.add(key);
    for (const ref of recovered.queue) {
      this.seen.add(readyKey(ref));
      this.queue.push(ref);
    }
  }

  get size(): number {
    return this.queue.length;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Returns false for a repeat of a notification already taken or queued. */
  push(sessionId: string, trajectoryId: number): boolean {
    const key = readyKey({ session_id: sessionId, trajectory_id: trajectoryId });
    if (this.seen.has(key)) {
      this.duplicates++;
      return false;
    }
    this.seen.add(key);
    if (this.seen.size > REMEMBERED_KEYS) this.seen.delete(this.seen.values().next().value as string);
    this.received++;
    if (sessionId.startsWith(this.offlinePrefix)) {
      this.offlineReady.set(sessionId, trajectoryId);
      if (this.offlineReady.size > REMEMBERED_OFFLINE)
        this.offlineReady.delete(this.offlineReady.keys().next().value as string);
      this.offlineWaiters.wakeAll(sessionId, trajectoryId);
      return true;
    }
    const ref = { session_id: sessionId, trajectory_id: trajectoryId, received_at: new Date().toISOString() };
    this.state.readyQueued(ref);
    this.queue.push(ref);
    if (this.queue.length > this.options['ready-queue-size']) {
      this.state.readyGone([this.queue.shift()!]);
      this.dropped++;
    }
    this.serve();
    return true;
  }

  /**
   * Resolves with `count` items once that many are queued, or with whatever is there at the
   * timeout. A waiter whose `signal` aborts (its client left) takes nothing: the items stay queued
   * for the next trainer that asks.
   */
  take(count: number, timeoutMs: number, signal?: AbortSignal): Promise<ReadyTrajectoryRef[]> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve([]);
      const leave = (): void => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        clearTimeout(waiter.timer);
      };
      const waiter: Waiter = {
        count,
        resolve: (items) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(items);
        },
        timer: setTimeout(() => {
          leave();
          waiter.resolve(this.queue.splice(0, count));
        }, timeoutMs),
      };
      const onAbort = (): void => {
        leave();
        waiter.resolve([]);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.serve();
    });
  }

  /**
   * The trajectory id announced ready for one of the controller's own sessions: at once if it
   * was, else when it is, or null after `waitMs` (the caller then looks for itself).
   */
  readyTrajectory(sessionId: string, waitMs: number, signal: AbortSignal): Promise<number | null> {
    const known = this.offlineReady.get(sessionId);
    if (known !== undefined) return Promise.resolve(known);
    return this.offlineWaiters.wait(sessionId, waitMs, signal);
  }

  /** An agent session was exported or removed: its ready notice is no longer needed. */
  forget(sessionId: string): void {
    this.offlineReady.delete(sessionId);
  }

  /** Taken items reached a trainer: they leave the journal, never to be delivered again. */
  delivered(items: ReadyTrajectoryRef[]): void {
    this.state.readyGone(items);
  }

  /** Puts items back at the head of the queue, in order (a taker could not deliver them). */
  giveBack(items: ReadyTrajectoryRef[]): void {
    if (items.length === 0) return;
    this.queue.unshift(...items);
    this.serve();
  }

  /** Shutdown: every waiter returns now, empty-handed; nothing is taken. */
  beforeApplicationShutdown(): void {
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.resolve([]);
    }
  }

  /** Waiters are served in arrival order, each only once it can have all it asked for. */
  private serve(): void {
    while (this.waiters.length > 0 && this.queue.length >= this.waiters[0].count) {
      const waiter = this.waiters.shift()!;
      clearTimeout(waiter.timer);
      waiter.resolve(this.queue.splice(0, waiter.count));
    }
  }
}
