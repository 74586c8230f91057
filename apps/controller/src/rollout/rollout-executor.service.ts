import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { APP_OPTIONS, KeyedWaiters } from '@app/common';
import type { ControllerOptions } from '../config/controller-options.js';
import { ControlService } from '../control/control.service.js';
import { ControllerStateService } from '../persistence/controller-state.service.js';
import { EpisodeRunner, type EpisodeOutcome, type EpisodeSpec } from './episode.js';
import { StalenessManager } from './staleness-manager.js';

/** Who receives a task's outcome: the shared pool (`/rollout/wait`), a batch, a dataset stream. */
export interface TaskOwner {
  deliver(outcome: EpisodeOutcome): void;
}

interface Task {
  id: number;
  data: unknown;
  spec: EpisodeSpec;
  owner: TaskOwner;
  state: 'queued' | 'running' | 'done';
  abort: AbortController;
}

interface PoolWaiter {
  count: number;
  resolve: (outcomes: EpisodeOutcome[] | null) => void;
}

/**
 * Runs episodes within the staleness budget (AReaL's rollout submit/wait). Submitted tasks queue in FIFO
 * order; one starts whenever the controller is not paused and the shared StalenessManager has
 * capacity, re-checked on every event that can change it (a submit, an episode's end, a new
 * version, continue), so nothing polls. Every outcome goes to the task's owner: a batch gets
 * exactly its own episodes back (the reference's batch could return other callers' episodes).
 */
@Injectable()
export class RolloutExecutor implements BeforeApplicationShutdown {
  private readonly logger = new Logger(RolloutExecutor.name);
  readonly staleness: StalenessManager;
  private nextId = 0;
  private readonly queue: Task[] = [];
  private readonly tasks = new Map<number, Task>();
  /** Finished tasks of the shared pool not yet taken, by task id. */
  private readonly pool = new Map<number, EpisodeOutcome>();
  private readonly poolWaiters: PoolWaiter[] = [];
  private readonly taskWaiters = new KeyedWaiters<number, EpisodeOutcome>();
  private stopping = false;
  paused = false;
  finished = 0;
  /** Finished episodes by outcome (`accepted`, or what rejected them): metrics and the dashboard. */
  readonly outcomes = new Map<string, number>();

  readonly poolOwner: TaskOwner = {
    deliver: (outcome) => {
      // Someone waits for this very task: it is theirs, not the pool's.
      if (this.taskWaiters.wakeFirst(outcome.task_id, outcome)) return;
      this.state.pooled(outcome);
      this.pool.set(outcome.task_id, outcome);
      this.servePool();
    },
  };

  constructor(
    @Inject(APP_OPTIONS) options: ControllerOptions,
    control: ControlService,
    private readonly episodes: EpisodeRunner,
    readonly state: ControllerStateService,
  ) {
    // Finished episodes nobody collected before a controller crash (--state-dir).
    for (const outcome of state.recoveredPool()) this.pool.set(outcome.task_id, outcome);
    this.staleness = new StalenessManager(
      {
        maxConcurrent: options['max-concurrent-rollouts'],
        consumerBatchSize: options['consumer-batch-size'],
        maxHeadOffpolicyness: options['max-head-offpolicyness'],
      },
      () => control.version,
    );
    control.onControl((event) => {
      if (event.kind === 'version') this.staleness.onVersion(event.version);
      if (event.kind === 'pause') this.paused = true;
      if (event.kind === 'continue') this.paused = false;
      this.pump();
    });
  }

  get queued(): number {
    return this.queue.length;
  }

  get pooled(): number {
    return this.pool.size;
  }

  /** Whether a task id is free for a caller to choose. */
  isTaskIdFree(id: number): boolean {
    return !this.tasks.has(id) && !this.pool.has(id);
  }

  submit(data: unknown, spec: EpisodeSpec, owner: TaskOwner, taskId?: number): number {
    const id = taskId ?? this.allocateId();
    const task: Task = { id, data, spec, owner, state: 'queued', abort: new AbortController() };
    this.tasks.set(id, task);
    this.queue.push(task);
    this.staleness.onEnqueue();
    this.pump();
    return id;
  }

  /** Hands a task's future outcome to another owner (a batch that stopped waiting gives its rest to the pool). */
  reassign(taskId: number, owner: TaskOwner): void {
    const task = this.tasks.get(taskId);
    if (task) task.owner = owner;
  }

  /** Drops the queued (not yet started) tasks of an owner; returns how many. */
  cancelQueued(owner: TaskOwner): number {
    let removed = 0;
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (this.queue[i].owner !== owner) continue;
      const [task] = this.queue.splice(i, 1);
      this.tasks.delete(task.id);
      this.staleness.onDequeue();
      removed++;
    }
    return removed;
  }

  /**
   * The `count` oldest finished tasks of the pool once that many are there, in task order; null
   * at the timeout or when the caller leaves (they stay in the pool for the next wait).
   */
  waitPool(count: number, timeoutMs: number, signal: AbortSignal): Promise<EpisodeOutcome[] | null> {
    return new Promise((resolve) => {
      const waiter: PoolWaiter = {
        count,
        resolve: (outcomes) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', leave);
          resolve(outcomes);
        },
      };
      const leave = (): void => {
        const at = this.poolWaiters.indexOf(waiter);
        if (at >= 0) this.poolWaiters.splice(at, 1);
        waiter.resolve(null);
      };
      const timer = setTimeout(leave, timeoutMs);
      signal.addEventListener('abort', leave, { once: true });
      this.poolWaiters.push(waiter);
      this.servePool();
    });
  }

  /** One pool task's outcome (taken from the pool); undefined if the id is unknown, null at the timeout. */
  waitForTask(taskId: number, timeoutMs: number, signal: AbortSignal): Promise<EpisodeOutcome | null> | undefined {
    const done = this.pool.get(taskId);
    if (done) {
      this.pool.delete(taskId);
      this.state.collected([taskId]);
      return Promise.resolve(done);
    }
    const task = this.tasks.get(taskId);
    if (!task || task.owner !== this.poolOwner) return undefined;
    return this.taskWaiters.wait(taskId, timeoutMs, signal);
  }

  /**
   * Runs a batch and waits for exactly its episodes. At the timeout, or when the caller leaves,
   * the unfinished ones go on running and their outcomes go to the pool: no work is lost.
   */
  async runBatch(
    items: unknown[],
    spec: EpisodeSpec,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<{ outcomes: EpisodeOutcome[]; unfinished: number[] }> {
    const outcomes = new Map<number, EpisodeOutcome>();
    let allDone: () => void = () => undefined;
    const complete = new Promise<void>((resolve) => (allDone = resolve));
    const owner: TaskOwner = {
      deliver: (outcome) => {
        outcomes.set(outcome.task_id, outcome);
        if (outcomes.size === ids.length) allDone();
      },
    };
    const ids = items.map((data) => this.submit(data, spec, owner));
    let timer: NodeJS.Timeout | undefined;
    const givenUp = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await Promise.race([complete, givenUp]);
    clearTimeout(timer);
    const unfinished = ids.filter((id) => !outcomes.has(id));
    for (const id of unfinished) this.reassign(id, this.poolOwner);
    return { outcomes: ids.flatMap((id) => outcomes.get(id) ?? []), unfinished };
  }

  /** Shutdown: running agents see their signal abort; waiters return empty-handed. */
  beforeApplicationShutdown(): void {
    this.stopping = true;
    for (const task of this.tasks.values()) task.abort.abort(new Error('the controller is shutting down'));
    for (const waiter of this.poolWaiters.splice(0)) waiter.resolve(null);
  }

  private allocateId(): number {
    while (!this.isTaskIdFree(this.nextId)) this.nextId++;
    return this.nextId++;
  }

  private pump(): void {
    while (!this.paused && !this.stopping && this.queue.length > 0 && this.staleness.capacity() > 0) {
      this.start(this.queue.shift()!);
    }
  }

  private start(task: Task): void {
    task.state = 'running';
    this.staleness.onStart();
    void this.episodes
      .run(task.id, task.data, task.spec, task.abort.signal)
      .catch((err: unknown): EpisodeOutcome => ({
        task_id: task.id,
        accepted: false,
        reason: `internal error: ${err instanceof Error ? err.message : String(err)}`,
        rewards: [],
        session_ids: [],
        interactions: {},
        started_at: new Date().toISOString(),
        finished_at: new Date().toISOString(),
      }))
      .then((outcome) => {
        task.state = 'done';
        this.tasks.delete(task.id);
        this.staleness.onFinish(outcome.accepted);
        this.finished++;
        const kind = outcome.accepted ? 'accepted' : (outcome.rejected_by ?? 'service');
        this.outcomes.set(kind, (this.outcomes.get(kind) ?? 0) + 1);
        try {
          task.owner.deliver(outcome);
        } catch (err) {
          this.logger.error({ task: task.id, error: String(err) }, 'delivering an episode outcome failed');
        }
        this.pump();
      });
  }

  /** Pool waiters are served in arrival order, each once it can have all it asked for. */
  private servePool(): void {
    while (this.poolWaiters.length > 0 && this.pool.size >= this.poolWaiters[0].count) {
      const waiter = this.poolWaiters.shift()!;
      const ids = [...this.pool.keys()].sort((a, b) => a - b).slice(0, waiter.count);
      const outcomes = ids.map((id) => this.pool.get(id)!);
      for (const id of ids) this.pool.delete(id);
      this.state.collected(ids);
      waiter.resolve(outcomes);
    }
  }
}
