import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { APP_OPTIONS, RecordLog } from '@app/common';
import type { ControllerOptions } from '../config/controller-options.js';
import type { EpisodeOutcomeDto, ReadyTrajectoryRefDto } from '@app/contracts';

/**
 * What the controller keeps across its own crash (`--state-dir`): ready trajectories not yet
 * handed to a trainer, finished `/rollout/submit` episodes not yet collected, and each
 * prepare_batch stream's dataset cursor with its finished-but-untaken episodes. Episodes running
 * at the crash die with the controller's agents; a stream's items whose episodes were running are
 * run again after the restart, so no dataset item is skipped.
 *
 * Stored as events in a `RecordLog` (the data proxy journal's format, see
 * docs/adr/0001-session-journal.md):
 * - `prefix` the id prefix of this controller's own agent sessions (kept, so that the data
 *   proxies' late ready notices for them are still recognised as not the trainer's);
 * - `q` a ready notice queued for the trainer; `k` notices that left the queue (delivered or
 *   dropped at the queue bound), by key;
 * - `p` a `/rollout/submit` outcome pooled; `c` pool outcomes collected, by task id;
 * - `n` a stream handed dataset item `index` to an episode (`uid` names it across restarts; a
 *   re-run `replaces` the uid of the episode the crash killed) and moved its cursor to
 *   `position`/`epoch`; `o` that episode finished (outcome buffered); `g` buffered outcomes a
 *   batch took; `z` the stream was reset. Compaction writes a stream as `cursor`, its running
 *   episodes as `n` and its buffered outcomes as `f`.
 */
type StateRecord =
  | { t: 'prefix'; prefix: string }
  | { t: 'q'; ref: ReadyTrajectoryRefDto }
  | { t: 'k'; keys: string[] }
  | { t: 'p'; outcome: EpisodeOutcomeDto }
  | { t: 'c'; tasks: number[] }
  | { t: 'n'; stream: string; uid: string; index: number | null; position: number; epoch: number; replaces?: string }
  | { t: 'o'; stream: string; uid: string; outcome: EpisodeOutcomeDto }
  | { t: 'cursor'; stream: string; position: number; epoch: number }
  | { t: 'f'; stream: string; uid: string; outcome: EpisodeOutcomeDto }
  | { t: 'g'; stream: string; uids: string[] }
  | { t: 'z'; stream: string };

/** A prepare_batch stream as the controller left it. */
export interface RecoveredStream {
  position: number;
  epoch: number;
  /** Dataset items whose episodes were running at the crash: run them again, first. */
  rerun: { uid: string; index: number }[];
  /** Finished episodes no batch took yet, in finishing order. */
  finished: { uid: string; outcome: EpisodeOutcomeDto }[];
}

interface StreamState {
  position: number;
  epoch: number;
  running: Map<string, number | null>;
  finished: Map<string, EpisodeOutcomeDto>;
}

const STATE_FILE = 'controller.journal';
/** Delivered ready-notice keys remembered across a restart (late repeats of them are dropped). */
const REMEMBERED_DELIVERED = 10_000;
/** The log is rewritten with the live state once it passes this and four times its last live size. */
const COMPACT_BYTES = 16 * 1024 * 1024;

export const readyKey = (ref: { session_id: string; trajectory_id: number }): string =>
  `${ref.trajectory_id}\u0000${ref.session_id}`;

@Injectable()
export class ControllerStateService implements OnApplicationShutdown {
  private readonly logger = new Logger(ControllerStateService.name);
  private readonly log: RecordLog<StateRecord> | null = null;
  /** Names this run's stream episodes, so that their records never collide with an earlier run's. */
  private readonly runId = randomBytes(4).toString('hex');
  private nextUid = 0;
  private liveBytes = 0;

  readonly offlinePrefix: string;
  private readonly queue = new Map<string, ReadyTrajectoryRefDto>();
  private readonly delivered = new Set<string>();
  private readonly pool = new Map<number, EpisodeOutcomeDto>();
  private readonly streams = new Map<string, StreamState>();

  constructor(@Inject(APP_OPTIONS) options: ControllerOptions) {
    const dir = options['state-dir'];
    let prefix: string | null = null;
    if (dir) {
      const started = performance.now();
      const opened = RecordLog.open<StateRecord>(join(dir, 'controller'), STATE_FILE, { fsync: false });
      for (const { record } of opened.records) if (record.t === 'prefix') prefix = record.prefix;
      for (const { record } of opened.records) this.apply(record);
      this.log = opened.log;
      this.offlinePrefix = prefix ?? newPrefix();
      // Episodes the crash killed that had no dataset item have nothing to run again.
      for (const stream of this.streams.values())
        for (const [uid, index] of stream.running) if (index === null) stream.running.delete(uid);
      // Rewritten at once: the file holds only live state, and no earlier run's ids.
      this.compact();
      this.logger.log(
        {
          dir,
          ready: this.queue.size,
          pooled: this.pool.size,
          streams: this.streams.size,
          torn_bytes: opened.tornBytes,
          ms: Math.round(performance.now() - started),
        },
        'controller state recovered',
      );
    } else {
      this.offlinePrefix = newPrefix();
    }
  }

  /** The ready queue as it was, oldest first, and the keys already delivered. */
  recoveredReady(): { queue: ReadyTrajectoryRefDto[]; delivered: string[] } {
    return { queue: [...this.queue.values()], delivered: [...this.delivered] };
  }

  recoveredPool(): EpisodeOutcomeDto[] {
    return [...this.pool.values()];
  }

  /** A stream's recovered state, once: the stream object takes it over. */
  recoveredStream(key: string): RecoveredStream | null {
    const state = this.streams.get(key);
    if (!state) return null;
    return {
      position: state.position,
      epoch: state.epoch,
      rerun: [...state.running].flatMap(([uid, index]) => (index === null ? [] : [{ uid, index }])),
      finished: [...state.finished].map(([uid, outcome]) => ({ uid, outcome })),
    };
  }

  readyQueued(ref: ReadyTrajectoryRefDto): void {
    this.write({ t: 'q', ref });
  }

  readyGone(refs: ReadyTrajectoryRefDto[]): void {
    if (refs.length > 0) this.write({ t: 'k', keys: refs.map(readyKey) });
  }

  pooled(outcome: EpisodeOutcomeDto): void {
    this.write({ t: 'p', outcome });
  }

  collected(taskIds: number[]): void {
    if (taskIds.length > 0) this.write({ t: 'c', tasks: taskIds });
  }

  /**
   * A stream started an episode on dataset item `index` (null: no dataset), or re-ran the item of
   * the episode `replaces` that a crash killed; returns the new episode's uid.
   */
  streamStarted(
    stream: string,
    index: number | null,
    cursor: { position: number; epoch: number },
    replaces?: string,
  ): string {
    const uid = `${this.runId}:${this.nextUid++}`;
    this.write({
      t: 'n',
      stream,
      uid,
      index,
      position: cursor.position,
      epoch: cursor.epoch,
      ...(replaces ? { replaces } : {}),
    });
    return uid;
  }

  streamFinished(stream: string, uid: string, outcome: EpisodeOutcomeDto): void {
    this.write({ t: 'o', stream, uid, outcome });
  }

  streamTaken(stream: string, uids: string[]): void {
    if (uids.length > 0) this.write({ t: 'g', stream, uids });
  }

  streamReset(stream: string): void {
    this.write({ t: 'z', stream });
  }

  onApplicationShutdown(): void {
    this.log?.close();
  }

  private write(record: StateRecord): void {
    if (!this.log) return;
    this.apply(record);
    this.log.append(record);
    if (this.log.bytes > Math.max(COMPACT_BYTES, 4 * this.liveBytes)) this.compact();
  }

  /** Keeps the in-memory mirror of the live state, from which compaction writes the file. */
  private apply(record: StateRecord): void {
    switch (record.t) {
      case 'prefix':
        break;
      case 'q':
        this.queue.set(readyKey(record.ref), record.ref);
        break;
      case 'k':
        for (const key of record.keys) {
          this.queue.delete(key);
          this.delivered.add(key);
        }
        while (this.delivered.size > REMEMBERED_DELIVERED)
          this.delivered.delete(this.delivered.values().next().value as string);
        break;
      case 'p':
        this.pool.set(record.outcome.task_id, record.outcome);
        break;
      case 'c':
        for (const task of record.tasks) this.pool.delete(task);
        break;
      case 'n': {
        const stream = this.stream(record.stream);
        if (record.replaces !== undefined) stream.running.delete(record.replaces);
        stream.running.set(record.uid, record.index);
        stream.position = record.position;
        stream.epoch = record.epoch;
        break;
      }
      case 'cursor': {
        const stream = this.stream(record.stream);
        stream.position = record.position;
        stream.epoch = record.epoch;
        break;
      }
      case 'f':
        this.stream(record.stream).finished.set(record.uid, record.outcome);
        break;
      case 'o': {
        const stream = this.stream(record.stream);
        // An outcome of an episode started before a reset (no `n` since) is not the stream's any more.
        if (!stream.running.delete(record.uid)) break;
        stream.finished.set(record.uid, record.outcome);
        break;
      }
      case 'g': {
        const stream = this.stream(record.stream);
        for (const uid of record.uids) stream.finished.delete(uid);
        break;
      }
      case 'z':
        this.streams.delete(record.stream);
        break;
    }
  }

  private stream(key: string): StreamState {
    let state = this.streams.get(key);
    if (!state) {
      state = { position: 0, epoch: 0, running: new Map(), finished: new Map() };
      this.streams.set(key, state);
    }
    return state;
  }

  private compact(): void {
    if (!this.log) return;
    let bytes = 0;
    this.log.rewrite((write) => {
      bytes += write({ t: 'prefix', prefix: this.offlinePrefix });
      for (const ref of this.queue.values()) bytes += write({ t: 'q', ref });
      // Delivered keys only matter for dropping repeats: written as gone from the queue.
      if (this.delivered.size > 0) bytes += write({ t: 'k', keys: [...this.delivered] });
      for (const outcome of this.pool.values()) bytes += write({ t: 'p', outcome });
      for (const [key, stream] of this.streams) {
        const cursor = { stream: key, position: stream.position, epoch: stream.epoch };
        bytes += write({ t: 'cursor', ...cursor });
        for (const [uid, index] of stream.running) bytes += write({ t: 'n', ...cursor, uid, index });
        for (const [uid, outcome] of stream.finished) bytes += write({ t: 'f', stream: key, uid, outcome });
      }
    });
    this.liveBytes = bytes;
  }
}

function newPrefix(): string {
  return `rollout-${randomBytes(4).toString('hex')}-`;
}
