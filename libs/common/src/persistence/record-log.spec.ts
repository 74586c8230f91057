import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordLog } from './record-log.js';

const dirWith = (count: number): { dir: string; file: string; ends: number[] } => {
  const dir = mkdtempSync(join(tmpdir(), 'record-log-'));
  const { log } = RecordLog.open<{ n: number; pad: string }>(dir, 'log', { fsync: false });
  const ends: number[] = [];
  for (let n = 0; n < count; n++) {
    log.append({ n, pad: 'x'.repeat(n * 7) });
    ends.push(log.bytes);
  }
  log.close();
  return { dir, file: join(dir, 'log'), ends };
};

describe(RecordLog.name, () => {
  it('cut at random byte offsets: opening keeps every complete record, drops the torn one, and appends after it', () => {
    const { ends } = dirWith(40);
    for (let trial = 0; trial < 100; trial++) {
      const { dir, file } = dirWith(40);
      const cut = Math.floor(Math.random() * ends[ends.length - 1]);
      truncateSync(file, cut);
      const complete = ends.filter((end) => end <= cut).length;
      const opened = RecordLog.open<{ n: number }>(dir, 'log', { fsync: false });
      expect(opened.records.map((r) => r.record.n)).toEqual([...Array(complete).keys()]);
      expect(opened.tornBytes).toBe(cut - (complete > 0 ? ends[complete - 1] : 0));
      opened.log.append({ n: 1000 });
      opened.log.close();
      const again = RecordLog.open<{ n: number }>(dir, 'log', { fsync: false });
      expect(again.records.map((r) => r.record.n)).toEqual([...Array(complete).keys(), 1000]);
      expect(again.tornBytes).toBe(0);
    }
  });

  it('rewrite replaces the file atomically with what it is given', () => {
    const { dir, file } = dirWith(10);
    const opened = RecordLog.open<{ n: number }>(dir, 'log', { fsync: false });
    opened.log.rewrite((write) => {
      write({ n: 7 });
      write({ n: 9 });
    });
    opened.log.append({ n: 11 });
    expect(opened.log.bytes).toBe(readFileSync(file).length);
    expect(RecordLog.open<{ n: number }>(dir, 'log', { fsync: false }).records.map((r) => r.record.n)).toEqual([
      7, 9, 11,
    ]);
  });
});
