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

/**
 * An append-only file of framed JSON records that survives `kill -9`: the storage under the data
 * proxy's session journal and the controller's state. docs/adr/0001-session-journal.md says why
 * this format rather than an embedded database.
 *
 * Frame: `u32 LE payload length | u32 LE CRC-32 of the payload | payload (UTF-8 JSON)`.
 *
 * Every append is a synchronous `write(2)`: the operating system keeps it through a process crash
 * (not through a machine crash, unless `fsync` is asked for). A torn last record (the crash hit
 * mid-write) fails its length or CRC check and is cut off when the log is opened; every complete
 * record before it is kept. `rewrite` replaces the whole file atomically (written aside, synced,
 * renamed over): that is how owners compact it.
 */
const HEADER = 8;

export function frameRecord(record: unknown): Buffer {
  const payload = Buffer.from(JSON.stringify(record), 'utf8');
  const out = Buffer.allocUnsafe(HEADER + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  payload.copy(out, HEADER);
  return out;
}

/**
 * Every complete record of `buffer`, in order, each with its framed size; stops at the first torn
 * or corrupt one. `validBytes` is where the complete records end.
 */
export function readRecords<T>(buffer: Buffer): { records: { record: T; size: number }[]; validBytes: number } {
  const records: { record: T; size: number }[] = [];
  let offset = 0;
  while (offset + HEADER <= buffer.length) {
    const length = buffer.readUInt32LE(offset);
    const end = offset + HEADER + length;
    if (end > buffer.length) break;
    const payload = buffer.subarray(offset + HEADER, end);
    if (crc32(payload) !== buffer.readUInt32LE(offset + 4)) break;
    try {
      records.push({ record: JSON.parse(payload.toString('utf8')) as T, size: end - offset });
    } catch {
      break;
    }
    offset = end;
  }
  return { records, validBytes: offset };
}

export class RecordLog<T> {
  private fd: number;
  /** Bytes in the file now. */
  bytes: number;

  private constructor(
    private readonly file: string,
    private readonly sync: boolean,
  ) {
    this.fd = openSync(file, 'a');
    this.bytes = fstatSync(this.fd).size;
  }

  /**
   * Opens `dir/name` (the folder is created if missing), reads every complete record and cuts off
   * a torn tail, so that new records follow the last complete one.
   */
  static open<T>(
    dir: string,
    name: string,
    options: { fsync: boolean },
  ): { log: RecordLog<T>; records: { record: T; size: number }[]; validBytes: number; tornBytes: number } {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, name);
    const buffer = existsSync(file) ? readFileSync(file) : Buffer.alloc(0);
    const { records, validBytes } = readRecords<T>(buffer);
    if (validBytes < buffer.length) {
      const fd = openSync(file, 'r+');
      ftruncateSync(fd, validBytes);
      closeSync(fd);
    }
    return { log: new RecordLog<T>(file, options.fsync), records, validBytes, tornBytes: buffer.length - validBytes };
  }

  /** Appends one record; returns its framed size. */
  append(record: T): number {
    const buffer = frameRecord(record);
    writeSync(this.fd, buffer);
    if (this.sync) fsyncSync(this.fd);
    this.bytes += buffer.length;
    return buffer.length;
  }

  /**
   * Replaces the file with the records `dump` writes (each write returns the record's framed
   * size), atomically: a crash during the rewrite leaves the old file whole.
   */
  rewrite(dump: (write: (record: T) => number) => void): void {
    const next = `${this.file}.compact`;
    const fd = openSync(next, 'w');
    let bytes = 0;
    dump((record) => {
      const buffer = frameRecord(record);
      writeSync(fd, buffer);
      bytes += buffer.length;
      return buffer.length;
    });
    fsyncSync(fd);
    closeSync(fd);
    renameSync(next, this.file);
    closeSync(this.fd);
    this.fd = openSync(this.file, 'a');
    this.bytes = bytes;
  }

  close(): void {
    closeSync(this.fd);
  }
}
