import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Interaction } from '../sessions/interaction.js';

/**
 * The data proxy's crash journal: an append-only file of framed records, so that after a
 * `kill -9` a restarted data proxy has every session, recorded interaction, reward and ready
 * trajectory it had answered for. docs/adr/0001-session-journal.md says why this format.
 *
 * Frame: `u32 LE payload length | u32 LE CRC-32 of the payload | payload (UTF-8 JSON)`; token
 * arrays inside are base64 of their little-endian bytes. Records
 * are events, each small and written once, so a long session costs the same per turn as a short
 * one:
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

/** Token data as base64 of the typed arrays' raw bytes: exact, and far cheaper to write than JSON lists. */
interface SerializedInteraction extends Omit<
  Interaction,
  'promptIds' | 'outputIds' | 'outputLogprobs' | 'outputVersions'
> {
  promptIds: string;
  outputIds: string;
  outputLogprobs: string;
  outputVersions: string;
}

export type JournalRecord =
  | ({ t: 's' } & SessionScalars)
  | { t: 'i'; s: string; i: SerializedInteraction }
  | { t: 'w'; s: string; id: string; reward: number | null }
  | { t: 'r'; s: string; trajectoryId: number; interactionId: string; createdAt: number }
  | { t: 'x'; s: string; trajectoryId: number }
  | { t: 'd'; s: string };

const HEADER = 8;
const JOURNAL_FILE = 'sessions.journal';

export function frameJournalRecord(record: JournalRecord): Buffer {
  const payload = Buffer.from(JSON.stringify(record), 'utf8');
  const out = Buffer.allocUnsafe(HEADER + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  payload.copy(out, HEADER);
  return out;
}

const bytesOf = (array: Int32Array | Float32Array): string =>
  Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64');

/** A copy, so the typed array owns aligned memory of its own. */
function arrayOf<T extends Int32Array | Float32Array>(base64: string, type: { new (buffer: ArrayBuffer): T }): T {
  const bytes = Buffer.from(base64, 'base64');
  const copy = new ArrayBuffer(bytes.length);
  new Uint8Array(copy).set(bytes);
  return new type(copy);
}

export function serializeInteraction(interaction: Interaction): SerializedInteraction {
  return {
    ...interaction,
    promptIds: bytesOf(interaction.promptIds),
    outputIds: bytesOf(interaction.outputIds),
    outputLogprobs: bytesOf(interaction.outputLogprobs),
    outputVersions: bytesOf(interaction.outputVersions),
  };
}

function deserializeInteraction(value: SerializedInteraction): Interaction {
  return {
    ...value,
    promptIds: arrayOf(value.promptIds, Int32Array),
    outputIds: arrayOf(value.outputIds, Int32Array),
    outputLogprobs: arrayOf(value.outputLogprobs, Float32Array),
    outputVersions: arrayOf(value.outputVersions, Int32Array),
  };
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
  let offset = 0;
  while (offset + HEADER <= buffer.length) {
    const length = buffer.readUInt32LE(offset);
    const end = offset + HEADER + length;
    if (end > buffer.length) break;
    const payload = buffer.subarray(offset + HEADER, end);
    if (crc32(payload) !== buffer.readUInt32LE(offset + 4)) break;
    let record: JournalRecord;
    try {
      record = JSON.parse(payload.toString('utf8')) as JournalRecord;
    } catch {
      break;
    }
    switch (record.t) {
      case 's': {
        const { t: _t, ...scalars } = record;
        sessionOf(scalars.id).scalars = scalars;
        break;
      }
      case 'i':
        interactions.set(record.i.id, deserializeInteraction(record.i));
        sessionOf(record.s).active.push(record.i.id);
        break;
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
    offset = end;
  }
  return { sessions: [...sessions.values()], interactions, validBytes: offset, tornBytes: buffer.length - offset };
}

/** Bytes of a session's records that recovery still needs (what compaction would keep). */
interface LiveBytes {
  scalars: number;
  active: number;
  ready: Map<number, number>;
}

export class SessionJournal {
  private fd: number;
  private bytes: number;
  private readonly live = new Map<string, LiveBytes>();

  private constructor(
    private readonly dir: string,
    private readonly compactBytes: number,
    private readonly sync: boolean,
  ) {
    this.fd = openSync(join(dir, JOURNAL_FILE), 'a');
    this.bytes = fstatSync(this.fd).size;
  }

  /**
   * Opens the journal in `dir` (created if missing), replays it and cuts off a torn tail, so
   * that new records follow the last complete one.
   */
  static open(
    dir: string,
    options: { compactBytes: number; fsync: boolean },
  ): { journal: SessionJournal; state: RecoveredState } {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, JOURNAL_FILE);
    const state = readJournal(existsSync(file) ? readFileSync(file) : Buffer.alloc(0));
    if (state.tornBytes > 0) {
      const fd = openSync(file, 'r+');
      ftruncateSync(fd, state.validBytes);
      closeSync(fd);
    }
    const journal = new SessionJournal(dir, options.compactBytes, options.fsync);
    // Until the next compaction the recovered records count as live at their file share.
    const share = state.sessions.length > 0 ? state.validBytes / state.sessions.length : 0;
    for (const session of state.sessions)
      journal.live.set(session.scalars.id, { scalars: share, active: 0, ready: new Map() });
    return { journal, state };
  }

  append(record: JournalRecord): void {
    const buffer = frameJournalRecord(record);
    writeSync(this.fd, buffer);
    if (this.sync) fsyncSync(this.fd);
    this.bytes += buffer.length;
    this.account(record, buffer.length);
  }

  /** Whether the file has grown past its bound and holds mostly dead records. */
  get wantsCompaction(): boolean {
    if (this.bytes <= this.compactBytes) return false;
    let live = 0;
    for (const entry of this.live.values()) {
      live += entry.scalars + entry.active;
      for (const bytes of entry.ready.values()) live += bytes;
    }
    return this.bytes > 2 * live;
  }

  /** Rewrites the journal with only the records `dump` gives (the live state), then swaps it in atomically. */
  compact(dump: (write: (record: JournalRecord) => void) => void): void {
    const file = join(this.dir, JOURNAL_FILE);
    const next = `${file}.compact`;
    const fd = openSync(next, 'w');
    this.live.clear();
    let bytes = 0;
    dump((record) => {
      const buffer = frameJournalRecord(record);
      writeSync(fd, buffer);
      bytes += buffer.length;
      this.account(record, buffer.length);
    });
    fsyncSync(fd);
    closeSync(fd);
    renameSync(next, file);
    closeSync(this.fd);
    this.fd = openSync(file, 'a');
    this.bytes = bytes;
  }

  close(): void {
    closeSync(this.fd);
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
