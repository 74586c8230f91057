import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Interaction } from '../sessions/interaction.js';

/**
 * The data proxy's crash journal: an append-only file of framed records, so that after a
 * `kill -9` a restarted data proxy has every session, recorded interaction, reward and ready
 * trajectory it had answered for. docs/adr/0001-session-journal.md says why this format.
 *
 * Frame: `u32 LE payload length | u32 LE CRC-32 of the payload | payload (UTF-8 JSON)`. Records:
 * - `{"t":"i","s":<session>,"i":<interaction>}` an interaction, written once when recorded;
 * - `{"t":"s", ...SessionRecord}` a session's small state (ids, rewards, trajectories), written
 *   after every change; the last one wins;
 * - `{"t":"d","s":<session>}` the session is gone (exported and removed, expired).
 *
 * Every write is a synchronous `write(2)` before the client gets its answer: the operating system
 * keeps it through a process crash (not through a machine crash, unless `fsync` is asked for). A
 * torn last record (the crash hit mid-write) fails its length or CRC check and is cut off at
 * recovery; every complete record before it is kept. The file is compacted (live records only,
 * written aside and renamed over) once it is both past `compactBytes` and twice its live size.
 */

export interface ReadyRecord {
  trajectoryId: number;
  interactionId: string;
  ids: string[];
  createdAt: number;
  delivered: boolean;
}

export interface SessionRecord {
  id: string;
  key: string | null;
  seedIdentity: string;
  deterministic: boolean;
  groupId: string | null;
  requestIndex: number;
  nextTrajectoryId: number;
  active: string[];
  ready: ReadyRecord[];
  /** Rewards by interaction id (only the rewarded ones). */
  rewards: Record<string, number>;
  pendingReward: { at: number; interactionId: string } | null;
}

export interface RecoveredState {
  sessions: SessionRecord[];
  interactions: Map<string, Interaction>;
  /** Bytes of complete records read; a torn tail beyond them was cut off. */
  validBytes: number;
  tornBytes: number;
}

type JournalRecord =
  { t: 'i'; s: string; i: SerializedInteraction } | ({ t: 's' } & SessionRecord) | { t: 'd'; s: string };

interface SerializedInteraction extends Omit<
  Interaction,
  'promptIds' | 'outputIds' | 'outputLogprobs' | 'outputVersions'
> {
  promptIds: number[];
  outputIds: number[];
  outputLogprobs: number[];
  outputVersions: number[];
}

const HEADER = 8;
const JOURNAL_FILE = 'sessions.journal';

function frame(record: JournalRecord): Buffer {
  const payload = Buffer.from(JSON.stringify(record), 'utf8');
  const out = Buffer.allocUnsafe(HEADER + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  payload.copy(out, HEADER);
  return out;
}

function serializeInteraction(interaction: Interaction): SerializedInteraction {
  return {
    ...interaction,
    promptIds: Array.from(interaction.promptIds),
    outputIds: Array.from(interaction.outputIds),
    outputLogprobs: Array.from(interaction.outputLogprobs),
    outputVersions: Array.from(interaction.outputVersions),
  };
}

function deserializeInteraction(value: SerializedInteraction): Interaction {
  return {
    ...value,
    promptIds: Int32Array.from(value.promptIds),
    outputIds: Int32Array.from(value.outputIds),
    outputLogprobs: Float32Array.from(value.outputLogprobs),
    outputVersions: Int32Array.from(value.outputVersions),
  };
}

/** Reads every complete record of `buffer`; stops at the first torn or corrupt one. */
export function readJournal(buffer: Buffer): RecoveredState {
  const interactions = new Map<string, Interaction>();
  const bySession = new Map<string, Set<string>>();
  const sessions = new Map<string, SessionRecord>();
  let offset = 0;
  while (offset + HEADER <= buffer.length) {
    const length = buffer.readUInt32LE(offset);
    const crc = buffer.readUInt32LE(offset + 4);
    const end = offset + HEADER + length;
    if (end > buffer.length) break;
    const payload = buffer.subarray(offset + HEADER, end);
    if (crc32(payload) !== crc) break;
    let record: JournalRecord;
    try {
      record = JSON.parse(payload.toString('utf8')) as JournalRecord;
    } catch {
      break;
    }
    if (record.t === 'i') {
      interactions.set(record.i.id, deserializeInteraction(record.i));
      if (!bySession.has(record.s)) bySession.set(record.s, new Set());
      bySession.get(record.s)!.add(record.i.id);
    } else if (record.t === 's') {
      const { t: _t, ...state } = record;
      sessions.set(state.id, state);
    } else if (record.t === 'd') {
      sessions.delete(record.s);
      for (const id of bySession.get(record.s) ?? []) interactions.delete(id);
      bySession.delete(record.s);
    }
    offset = end;
  }
  return { sessions: [...sessions.values()], interactions, validBytes: offset, tornBytes: buffer.length - offset };
}

export class SessionJournal {
  private fd: number;
  private bytes: number;
  /** Bytes of the records that are still live (latest state of live sessions and their interactions). */
  private readonly liveBytes = new Map<string, { state: number; interactions: number }>();

  private constructor(
    private readonly dir: string,
    private readonly compactBytes: number,
    private readonly sync: boolean,
  ) {
    this.fd = openSync(join(dir, JOURNAL_FILE), 'a');
    this.bytes = fstatSync(this.fd).size;
  }

  /**
   * Opens the journal in `dir` (created if missing), reads what it holds and cuts off a torn
   * tail, so that new records follow the last complete one.
   */
  static open(
    dir: string,
    options: { compactBytes: number; fsync: boolean },
  ): { journal: SessionJournal; state: RecoveredState } {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, JOURNAL_FILE);
    const state = existsSync(file) ? readJournal(readFileSync(file)) : readJournal(Buffer.alloc(0));
    if (state.tornBytes > 0) {
      const fd = openSync(file, 'r+');
      ftruncateSync(fd, state.validBytes);
      closeSync(fd);
    }
    const journal = new SessionJournal(dir, options.compactBytes, options.fsync);
    for (const session of state.sessions) {
      const interactions = [...session.active, ...session.ready.flatMap((r) => r.ids)];
      journal.liveBytes.set(session.id, { state: 0, interactions: interactions.length * 1024 });
    }
    return { journal, state };
  }

  appendInteraction(sessionId: string, interaction: Interaction): void {
    const written = this.write(frame({ t: 'i', s: sessionId, i: serializeInteraction(interaction) }));
    const live = this.liveBytes.get(sessionId) ?? { state: 0, interactions: 0 };
    live.interactions += written;
    this.liveBytes.set(sessionId, live);
  }

  appendState(state: SessionRecord): void {
    const written = this.write(frame({ t: 's', ...state }));
    const live = this.liveBytes.get(state.id) ?? { state: 0, interactions: 0 };
    live.state = written;
    this.liveBytes.set(state.id, live);
  }

  appendDelete(sessionId: string): void {
    this.write(frame({ t: 'd', s: sessionId }));
    this.liveBytes.delete(sessionId);
  }

  /** Whether the file has grown past its bound and holds mostly dead records. */
  get wantsCompaction(): boolean {
    let live = 0;
    for (const entry of this.liveBytes.values()) live += entry.state + entry.interactions;
    return this.bytes > this.compactBytes && this.bytes > 2 * live;
  }

  /** Rewrites the journal with only the live records (`dump` writes them), then swaps it in atomically. */
  compact(dump: (write: (record: JournalRecord) => void) => void): void {
    const file = join(this.dir, JOURNAL_FILE);
    const next = `${file}.compact`;
    const fd = openSync(next, 'w');
    let bytes = 0;
    dump((record) => {
      const buffer = frame(record);
      writeSync(fd, buffer);
      bytes += buffer.length;
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

  private write(buffer: Buffer): number {
    writeSync(this.fd, buffer);
    if (this.sync) fsyncSync(this.fd);
    this.bytes += buffer.length;
    return buffer.length;
  }
}

export type { JournalRecord, SerializedInteraction };
export { frame as frameJournalRecord, serializeInteraction };
