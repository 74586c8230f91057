import { describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ControllerOptions } from '../config/controller-options.js';
import { ControllerStateService } from '../persistence/controller-state.service.js';
import { ReadyQueueService } from './ready-queue.service.js';

const queue = (size = 10, stateDir = ''): ReadyQueueService => {
  const options = { 'ready-queue-size': size, 'state-dir': stateDir } as ControllerOptions;
  return new ReadyQueueService(options, new ControllerStateService(options));
};

describe(ReadyQueueService.name, () => {
  it('hands each trajectory out once; repeats of a callback are dropped and counted', async () => {
    const q = queue();
    expect(q.push('s', 0)).toBe(true);
    expect(q.push('s', 0)).toBe(false);
    expect(q.push('s', 1)).toBe(true);
    expect((await q.take(2, 1000)).map((r) => r.trajectory_id)).toEqual([0, 1]);
    expect(q.push('s', 1)).toBe(false);
    expect(q.duplicates).toBe(2);
    expect(q.size).toBe(0);
  });

  it('a waiter gets its whole count when it arrives, or what there is at its timeout', async () => {
    const q = queue();
    const waiting = q.take(2, 5000);
    q.push('a', 0);
    expect(q.waiting).toBe(1);
    q.push('b', 0);
    expect((await waiting).map((r) => r.session_id)).toEqual(['a', 'b']);
    q.push('c', 0);
    expect((await q.take(3, 20)).map((r) => r.session_id)).toEqual(['c']);
    expect(await q.take(1, 10)).toEqual([]);
  });

  it('serves waiters in arrival order', async () => {
    const q = queue();
    const first = q.take(1, 5000);
    const second = q.take(1, 5000);
    q.push('x', 0);
    q.push('y', 0);
    expect((await first)[0].session_id).toBe('x');
    expect((await second)[0].session_id).toBe('y');
  });

  it('keeps at most --ready-queue-size notifications, dropping the oldest and counting them', async () => {
    const q = queue(2);
    for (let i = 0; i < 5; i++) q.push('s', i);
    expect(q.dropped).toBe(3);
    expect((await q.take(2, 10)).map((r) => r.trajectory_id)).toEqual([3, 4]);
  });

  it('a waiter whose client left takes nothing; the items wait for the next one', async () => {
    const q = queue();
    const left = new AbortController();
    const gone = q.take(1, 5000, left.signal);
    left.abort();
    expect(await gone).toEqual([]);
    expect(q.waiting).toBe(0);
    q.push('s', 0);
    expect(q.size).toBe(1);
    expect((await q.take(1, 10))[0].session_id).toBe('s');
  });

  it('gives items back to the head of the queue, and shutdown releases every waiter empty-handed', async () => {
    const q = queue();
    q.push('b', 0);
    q.giveBack([{ session_id: 'a', trajectory_id: 0, received_at: '' }]);
    expect((await q.take(2, 10)).map((r) => r.session_id)).toEqual(['a', 'b']);
    const waiting = q.take(5, 60_000);
    q.push('c', 0);
    q.beforeApplicationShutdown();
    expect(await waiting).toEqual([]);
    expect(q.size).toBe(1);
  });
});

describe('ReadyQueueService with --state-dir: what a restarted controller still delivers', () => {
  it('queued notices survive a crash; delivered ones are never delivered again, even when a data proxy repeats them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'controller-state-'));
    const before = queue(10, dir);
    for (const id of ['a', 'b', 'c', 'd']) before.push(id, 0);
    const taken = await before.take(2, 10);
    before.delivered(taken);
    // Taken but the answer never reached a trainer (the crash came first): delivered again.
    await before.take(1, 10);
    // The crash: a new controller opens the same folder (the old one never closed its file).
    const after = queue(10, dir);
    expect(after.offlinePrefix).toBe(before.offlinePrefix);
    expect(after.push('a', 0)).toBe(false);
    expect(after.push('e', 0)).toBe(true);
    expect((await after.take(10, 10)).map((r) => r.session_id)).toEqual(['c', 'd', 'e']);
  });

  it('a notice dropped at the queue bound stays dropped after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'controller-state-'));
    const before = queue(2, dir);
    for (let i = 0; i < 3; i++) before.push('s', i);
    expect((await queue(2, dir).take(5, 10)).map((r) => r.trajectory_id)).toEqual([1, 2]);
  });
});
