import { frameRecord, readRecords, RecordLog } from '@app/common';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import type { Interaction } from '../sessions/interaction.js';
import { VersionRuns } from '../sessions/version-runs.js';

/**
 * The data proxy's crash journal, a `RecordLog` (framed, CRC-checked, torn tail cut at open), so
 * that after a `kill -9` a restarted data proxy has every session, recorded interaction, reward
 * and ready trajectory it had answered for. docs/adr/0001-session-journal.md says why this
 * format. Token arrays inside records are base64 of their little-endian bytes. Records are events, each small and written once, so a long session costs the same per turn as a short
 * one (an interaction's record holds only what is new over the one it continues):
 * - `s` a session's scalars (key, seed identity, group, counters, pending reward, delivered
 *   callbacks); the last one wins;
 * - `i` an interaction appended to the session's active trajectory;
 * - `w` a reward set on an interaction;
 * - `r` the active trajectory became ready trajectory N;
 * - `x` ready trajectory N left (exported);
 * - `d` the session is gone (removed, expired).
 *
 * Every write is a synchronous `write(2)` before the client gets its answer: the operating system
 * keeps it through a process crash (not through a machine crash, unless `fsync` is asked for). A
 * torn last record (the crash hit mid-write) fails its length or CRC check and is cut off at
 * recovery; every complete record before it is kept. The file is compacted (live records only,
 * written aside and renamed over) once it is both past `compactBytes` and twice its live size.
 */

export interface SessionScalars {
  id: string;
  key: string | null;
  seedIdentity: string;
  deterministic: boolean;
  groupId: string | null;
  requestIndex: number;
  nextTrajectoryId: number;
  pendingReward: { at: number; interactionId: string } | null;
  /** Ready trajectories whose online callback was delivered. */
  delivered: number[];
}

export interface RecoveredTrajectory {
  trajectoryId: number;
  interactionId: string;
  createdAt: number;
  ids: string[];
}

export interface RecoveredSession {
  scalars: SessionScalars;
  active: string[];
  ready: RecoveredTrajectory[];
  rewards: Map<string, number>;
}

export interface RecoveredState {
  sessions: RecoveredSession[];
  interactions: Map<string, Interaction>;
  /** Bytes of complete records read; a torn tail beyond them was cut off. */
  validBytes: number;
  tornBytes: number;
}

/**
 * Token data as base64 of the typed arrays' raw bytes: exact, and far cheaper to write than JSON
 * lists. With `base`, the record holds only what is new over an interaction journaled before it
 * in the same trajectory: its messages and prompt ids are that interaction's first `messages`
 * recorded messages (its messages, then its answer) and first `promptIds` prompt ids, followed by
 * the ones written here. A turn of a long episode then writes its new messages and ids, not the
 * whole conversation again.
 */
interface SerializedInteraction extends Omit<
  Interaction,
  'promptIds' | 'outputIds' | 'outputLogprobs' | 'outputVersions'
> {
  promptIds: string;
  outputIds: string;
  outputLogprobs: string;
  outputVersions: string;
  base?: { id: string; messages: number; promptIds: number };
}

export type JournalRecord =
  | ({ t: 's' } & SessionScalars)
  | { t: 'i'; s: string; i: SerializedInteraction }
  | { t: 'w'; s: string; id: string; reward: number | null }
  | { t: 'r'; s: string; trajectoryId: number; interactionId: string; createdAt: number }
  | { t: 'x'; s: string; trajectoryId: number }
  | { t: 'd'; s: string };

const JOURNAL_FILE = 'sessions.journal';

export const frameJournalRecord = (record: JournalRecord): Buffer => frameRecord(record);

const bytesOf = (array: Int32Array | Float32Array): string =>
  Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64');

/** A copy, so the typed array owns aligned memory of its own. */
function arrayOf<T extends Int32Array | Float32Array>(base64: string, type: { new (buffer: ArrayBuffer): T }): T {
  const bytes = Buffer.from(base64, 'base64');
  const copy = new ArrayBuffer(bytes.length);
  new Uint8Array(copy).set(bytes);
  return new type(copy);
}

/**
 * An interaction as a journal record; with `base` (an interaction journaled earlier in the same
 * trajectory, normally its parent), only what is new over it: the messages after the recorded
 * conversation they share, the prompt ids after the ones they share.
 */
export function serializeInteraction(interaction: Interaction, base: Interaction | null = null): SerializedInteraction {
  const shared = base ? sharedWith(interaction, base) : { messages: 0, promptIds: 0 };
  const record: SerializedInteraction = {
    ...interaction,
    // Only the ids after the shared ones are encoded: a late turn's 15k-id prompt is not.
    promptIds: bytesOf(interaction.promptIds.subarray(shared.promptIds)),
    outputIds: bytesOf(interaction.outputIds),
    outputLogprobs: bytesOf(interaction.outputLogprobs),
    outputVersions: bytesOf(VersionRuns.of(interaction.outputVersions).toInt32Array()),
  };
  if (!base || (shared.messages === 0 && shared.promptIds === 0)) return record;
  record.base = { id: base.id, ...shared };
  record.messages = interaction.messages.slice(shared.messages);
  return record;
}

/** How many messages and prompt ids `interaction` begins with that are `base`'s. */
function sharedWith(interaction: Interaction, base: Interaction): { messages: number; promptIds: number } {
  const recorded = [...base.messages, ...base.outputMessages];
  let messages = 0;
  // Shared objects (the store keeps the parent's) compare at once; others are compared whole.
  while (
    messages < recorded.length &&
    messages < interaction.messages.length &&
    (recorded[messages] === interaction.messages[messages] ||
      JSON.stringify(recorded[messages]) === JSON.stringify(interaction.messages[messages]))
  )
    messages++;
  const limit = Math.min(base.promptIds.length, interaction.promptIds.length);
  // A prompt the arena stored after its parent's is a view of the same ids (prompt-arena.ts).
  const sameIds =
    base.promptIds.buffer === interaction.promptIds.buffer &&
    base.promptIds.byteOffset === interaction.promptIds.byteOffset;
  let promptIds = sameIds ? limit : 0;
  while (promptIds < limit && base.promptIds[promptIds] === interaction.promptIds[promptIds]) promptIds++;
  return { messages, promptIds };
}

/** The interaction a record describes; null when its base is not among `interactions` (never written so). */
function deserializeInteraction(
  value: SerializedInteraction,
  interactions: Map<string, Interaction>,
): Interaction | null {
  const { base, ...fields } = value;
  const interaction: Interaction = {
    ...fields,
    promptIds: arrayOf(value.promptIds, Int32Array),
    outputIds: arrayOf(value.outputIds, Int32Array),
    outputLogprobs: arrayOf(value.outputLogprobs, Float32Array),
    outputVersions: arrayOf(value.outputVersions, Int32Array),
  };
  if (!base) return interaction;
  const from = interactions.get(base.id);
  if (!from) return null;
  interaction.messages = [...from.messages, ...from.outputMessages].slice(0, base.messages).concat(value.messages);
  const promptIds = new Int32Array(base.promptIds + interaction.promptIds.length);
  promptIds.set(from.promptIds.subarray(0, base.promptIds));
  promptIds.set(interaction.promptIds, base.promptIds);
  interaction.promptIds = promptIds;
  return interaction;
}

/** The scalars of a session that has journaled none yet. */
export function freshScalars(id: string, key: string | null): SessionScalars {
  return {
    id,
    key,
    seedIdentity: id,
    deterministic: false,
    groupId: null,
    requestIndex: 0,
    nextTrajectoryId: 0,
    pendingReward: null,
    delivered: [],
  };
}

/** Replays every complete record of `buffer`; stops at the first torn or corrupt one. */
export function readJournal(buffer: Buffer): RecoveredState {
  const { records, validBytes } = readRecords<JournalRecord>(buffer);
  return { ...replay(records.map((r) => r.record)), validBytes, tornBytes: buffer.length - validBytes };
}

function replay(records: JournalRecord[]): Pick<RecoveredState, 'sessions' | 'interactions'> {
  const interactions = new Map<string, Interaction>();
  const sessions = new Map<string, RecoveredSession>();
  const sessionOf = (id: string): RecoveredSession => {
    let session = sessions.get(id);
    if (!session) {
      session = {
        scalars: freshScalars(id, null),
        active: [],
        ready: [],
        rewards: new Map(),
      };
      sessions.set(id, session);
    }
    return session;
  };
  for (const record of records) {
    switch (record.t) {
      case 's': {
        const { t: _t, ...scalars } = record;
        sessionOf(scalars.id).scalars = scalars;
        break;
      }
      case 'i': {
        const interaction = deserializeInteraction(record.i, interactions);
        // A base that is not there is a journal this code never writes: the turn is dropped, not guessed.
        if (!interaction) break;
        interactions.set(record.i.id, interaction);
        sessionOf(record.s).active.push(record.i.id);
        break;
      }
      case 'w':
        if (record.reward === null) sessionOf(record.s).rewards.delete(record.id);
        else sessionOf(record.s).rewards.set(record.id, record.reward);
        break;
      case 'r': {
        const session = sessionOf(record.s);
        session.ready.push({
          trajectoryId: record.trajectoryId,
          interactionId: record.interactionId,
          createdAt: record.createdAt,
          ids: session.active,
        });
        session.active = [];
        break;
      }
      case 'x': {
        const session = sessionOf(record.s);
        const gone = session.ready.find((r) => r.trajectoryId === record.trajectoryId);
        session.ready = session.ready.filter((r) => r !== gone);
        for (const id of gone?.ids ?? []) interactions.delete(id);
        break;
      }
      case 'd': {
        const session = sessions.get(record.s);
        for (const id of [...(session?.active ?? []), ...(session?.ready.flatMap((r) => r.ids) ?? [])])
          interactions.delete(id);
        sessions.delete(record.s);
        break;
      }
    }
  }
  return { sessions: [...sessions.values()], interactions };
}

/** Bytes of a session's records that recovery still needs (what compaction would keep). */
interface LiveBytes {
  scalars: number;
  active: number;
  ready: Map<number, number>;
}

export class SessionJournal {
  private readonly live = new Map<string, LiveBytes>();

  private constructor(
    private readonly log: RecordLog<JournalRecord>,
    private readonly compactBytes: number,
  ) {}

  /**
   * Opens the journal in `dir` (created if missing), replays it and cuts off a torn tail, so
   * that new records follow the last complete one.
   */
  static open(
    dir: string,
    options: { compactBytes: number; fsync: boolean },
  ): { journal: SessionJournal; state: RecoveredState } {
    const opened = RecordLog.open<JournalRecord>(dir, JOURNAL_FILE, { fsync: options.fsync });
    const state: RecoveredState = {
      ...replay(opened.records.map((r) => r.record)),
      validBytes: opened.validBytes,
      tornBytes: opened.tornBytes,
    };
    const journal = new SessionJournal(opened.log, options.compactBytes);
    // Until the next compaction the recovered records count as live at their file share.
    const share = state.sessions.length > 0 ? state.validBytes / state.sessions.length : 0;
    for (const session of state.sessions)
      journal.live.set(session.scalars.id, { scalars: share, active: 0, ready: new Map() });
    return { journal, state };
  }

  append(record: JournalRecord): void {
    this.account(record, this.log.append(record));
  }

  /** Whether the file has grown past its bound and holds mostly dead records. */
  get wantsCompaction(): boolean {
    if (this.log.bytes <= this.compactBytes) return false;
    let live = 0;
    for (const entry of this.live.values()) {
      live += entry.scalars + entry.active;
      for (const bytes of entry.ready.values()) live += bytes;
    }
    return this.log.bytes > 2 * live;
  }

  /** Rewrites the journal with only the records `dump` gives (the live state), then swaps it in atomically. */
  compact(dump: (write: (record: JournalRecord) => void) => void): void {
    this.live.clear();
    this.log.rewrite((write) => dump((record) => this.account(record, write(record))));
  }

  close(): void {
    this.log.close();
  }

  private account(record: JournalRecord, size: number): void {
    const id = record.t === 's' ? record.id : record.s;
    if (record.t === 'd') {
      this.live.delete(id);
      return;
    }
    let entry = this.live.get(id);
    if (!entry) {
      entry = { scalars: 0, active: 0, ready: new Map() };
      this.live.set(id, entry);
    }
    if (record.t === 's') entry.scalars = size;
    else if (record.t === 'i' || record.t === 'w') entry.active += size;
    else if (record.t === 'r') {
      entry.ready.set(record.trajectoryId, entry.active + size);
      entry.active = 0;
    } else if (record.t === 'x') entry.ready.delete(record.trajectoryId);
  }
}

/** A journal opened at start, with what it recovered. */
export interface OpenedSessionJournal {
  journal: SessionJournal;
  state: RecoveredState;
}

/** The DI token of the data proxy's journal: an `OpenedSessionJournal`, or null without `--state-dir`. */
export const SESSION_JOURNAL = Symbol('SESSION_JOURNAL');

/** Opens the journal `--state-dir` names (null without one): replays it and cuts off a torn tail. */
export function openSessionJournal(options: DataProxyOptions): OpenedSessionJournal | null {
  const dir = options['state-dir'];
  if (!dir) return null;
  return SessionJournal.open(dir, { compactBytes: options['state-compact-bytes'], fsync: options['state-fsync'] });
}
