import { mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parseOptions } from '@app/common';
import { DATA_PROXY_OPTIONS } from '../config/data-proxy-options.js';
import { fixedInteraction } from '../export/export.fixtures.js';
import { SessionStore } from '../sessions/session-store.service.js';
import {
  frameJournalRecord,
  freshScalars,
  readJournal,
  serializeInteraction,
  SessionJournal,
  type SessionScalars,
} from './session-journal.js';

const ADMIN = 'journal-admin';

function store(dir: string, extra: string[] = []): SessionStore {
  const { options } = parseOptions(DATA_PROXY_OPTIONS, ['--admin-api-key', ADMIN, '--state-dir', dir, ...extra], {});
  return new SessionStore(options);
}

function stateOf(id: string): SessionScalars {
  return freshScalars(id, `key-${id}`);
}

describe('session journal: crash consistency', () => {
  it('a journal cut at any byte keeps every complete record and drops only the torn one', () => {
    const records = [
      frameJournalRecord({ t: 's', ...stateOf('a-0') }),
      frameJournalRecord({ t: 'i', s: 'a-0', i: serializeInteraction(fixedInteraction('x1')) }),
      frameJournalRecord({ t: 'w', s: 'a-0', id: 'x1', reward: 0.5 }),
      frameJournalRecord({ t: 'i', s: 'a-0', i: serializeInteraction(fixedInteraction('x2')) }),
      frameJournalRecord({ t: 'r', s: 'a-0', trajectoryId: 0, interactionId: 'x2', createdAt: 1 }),
      frameJournalRecord({ t: 's', ...stateOf('b-0') }),
    ];
    const whole = Buffer.concat(records);
    const ends = records.reduce<number[]>((acc, r) => [...acc, (acc.at(-1) ?? 0) + r.length], []);
    // Seeded pseudo-random offsets, plus every record boundary and its neighbours.
    let seed = 7;
    const offsets = new Set<number>([0, whole.length, ...ends, ...ends.map((e) => e - 1), ...ends.map((e) => e + 1)]);
    for (let i = 0; i < 200; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      offsets.add(seed % (whole.length + 1));
    }
    for (const offset of offsets) {
      if (offset < 0 || offset > whole.length) continue;
      const recovered = readJournal(whole.subarray(0, offset));
      const complete = ends.filter((e) => e <= offset).length;
      expect([offset, recovered.validBytes]).toEqual([offset, complete === 0 ? 0 : ends[complete - 1]]);
      expect(recovered.tornBytes).toBe(offset - recovered.validBytes);
      // What a complete prefix says, exactly.
      const interactions = records.slice(0, complete).filter((_, i) => i === 1 || i === 3).length;
      expect(recovered.interactions.size).toBe(interactions);
      const a = recovered.sessions.find((s) => s.scalars.id === 'a-0');
      if (complete >= 5) expect([a?.active, a?.ready[0].ids]).toEqual([[], ['x1', 'x2']]);
      else if (complete >= 4) expect(a?.active).toEqual(['x1', 'x2']);
      else if (complete >= 2) expect(a?.active).toEqual(['x1']);
      if (complete >= 3) expect(a?.rewards.get('x1')).toBe(0.5);
      expect(recovered.sessions.some((s) => s.scalars.id === 'b-0')).toBe(complete === 6);
    }
  });

  it('a corrupted byte in the middle ends the journal there; opening cuts the file and appends after it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const file = join(dir, 'sessions.journal');
    const first = frameJournalRecord({ t: 's', ...stateOf('a-0') });
    const second = frameJournalRecord({ t: 's', ...stateOf('b-0') });
    const corrupted = Buffer.from(second);
    corrupted[corrupted.length - 3] ^= 0xff;
    writeFileSync(file, Buffer.concat([first, corrupted]));
    const { journal, state } = SessionJournal.open(dir, { compactBytes: 1 << 20, fsync: false });
    expect(state.sessions.map((s) => s.scalars.id)).toEqual(['a-0']);
    expect(statSync(file).size).toBe(first.length);
    journal.append({ t: 's', ...stateOf('c-0') });
    journal.close();
    expect(readJournal(readFileSync(file)).sessions.map((s) => s.scalars.id)).toEqual(['a-0', 'c-0']);
  });
});

describe('SessionStore with --state-dir: what a restarted data proxy recovers', () => {
  it('sessions, keys, interactions (exact token data), rewards, ready trajectories; removed sessions stay removed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'store-'));
    const before = store(dir);
    const { session, apiKey } = before.start('task', null);
    session.groupId = 'grp-1';
    before.persist(session);
    before.record(session, fixedInteraction('i-1'));
    before.record(session, fixedInteraction('i-2', { outputLogprobs: Float32Array.from([-0.1234567, -7.5]) }));
    session.active.get('i-2')!.reward = 0.75;
    session.markReady();
    before.persist(session);
    before.record(session, fixedInteraction('i-3'));
    const gone = before.start('gone', null);
    before.remove(gone.session.id);
    before.hitl();

    const after = store(dir);
    const recovered = after.resolve(apiKey)!;
    expect(recovered.id).toBe(session.id);
    expect(recovered.groupId).toBe('grp-1');
    expect([...recovered.active.values()].map((i) => i.id)).toEqual(['i-3']);
    const ready = recovered.latestReady()!;
    expect([...ready.cache.values()].map((i) => [i.id, i.reward])).toEqual([
      ['i-1', null],
      ['i-2', 0.75],
    ]);
    expect(Array.from(ready.cache.get('i-2')!.outputLogprobs)).toEqual(
      Array.from(Float32Array.from([-0.1234567, -7.5])),
    );
    expect(after.get(gone.session.id)).toBeUndefined();
    expect(after.get('__hitl__')).toBeDefined();
    expect(after.pinnable().sessions.map((s) => s.session_id)).toEqual([session.id]);
  });

  it('compacts: the file shrinks to the live records once past its bound, and recovers the same state', () => {
    const dir = mkdtempSync(join(tmpdir(), 'compact-'));
    const s = store(dir, ['--state-compact-bytes', '65536']);
    let keep = '';
    for (let i = 0; i < 200; i++) {
      const { session } = s.start(`t${i}`, null);
      s.record(session, fixedInteraction(`n${i}`, { promptIds: Int32Array.from(new Array(200).fill(7)) }));
      if (i === 199) keep = session.id;
      else s.remove(session.id);
    }
    expect(statSync(join(dir, 'sessions.journal')).size).toBeLessThan(65536 * 2);
    const recovered = store(dir);
    expect(recovered.count).toBe(1);
    expect([...recovered.get(keep)!.active.values()].map((i) => i.id)).toEqual(['n199']);
  });

  it('a turn costs the same to journal in a session of 1 or 2,000 interactions', () => {
    const dir = mkdtempSync(join(tmpdir(), 'long-'));
    const s = store(dir);
    const { session } = s.start('long', null);
    const file = join(dir, 'sessions.journal');
    const sizes: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const before = statSync(file).size;
      s.record(session, fixedInteraction(`t${i}`));
      sizes.push(statSync(file).size - before);
    }
    expect(Math.max(...sizes.slice(-10))).toBeLessThanOrEqual(sizes[0] + 16);
  });

  it('a turn that continues its parent journals only what is new, and recovers exactly (also after compaction)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'episode-'));
    const s = store(dir, ['--state-compact-bytes', '200000']);
    const { session } = s.start('episode', null);
    const file = join(dir, 'sessions.journal');
    const written: number[] = [];
    const expected: { id: string; messages: unknown[]; promptIds: number[] }[] = [];
    let prompt: number[] = [];
    let messages: unknown[] = [{ role: 'system', content: 'system prompt' }];
    let parentId: string | null = null;
    for (let turn = 0; turn < 100; turn++) {
      messages = [...messages, { role: 'user', content: `question ${turn} ${'x'.repeat(200)}` }];
      prompt = [...prompt, ...Array.from({ length: 120 }, (_, i) => turn * 1000 + i)];
      const request = JSON.parse(JSON.stringify(messages)) as unknown[];
      const parent = session.active.findParent(request);
      expect(parent?.id ?? null).toBe(parentId);
      const interaction = fixedInteraction(`t${turn}`, {
        messages: request,
        parentId,
        promptIds: Int32Array.from(prompt),
        outputMessages: [{ role: 'assistant', content: `answer ${turn}` }],
      });
      const before = statSync(file).size;
      s.record(session, interaction);
      written.push(statSync(file).size - before);
      expected.push({ id: `t${turn}`, messages: [...request], promptIds: [...prompt] });
      messages = [...messages, { role: 'assistant', content: `answer ${turn}` }];
      prompt = [...prompt, ...Array.from(interaction.outputIds)];
      parentId = `t${turn}`;
    }
    // The 100th turn writes what the 2nd does, although its conversation is 50 times longer.
    expect(Math.max(...written.slice(-10))).toBeLessThanOrEqual(written[1] + 64);
    const check = (recovered: SessionStore): void => {
      const active = recovered.get(session.id)!.active;
      for (const want of expected) {
        const got = active.get(want.id)!;
        expect(got.messages).toEqual(want.messages);
        expect(Array.from(got.promptIds)).toEqual(want.promptIds);
      }
    };
    check(store(dir));
    // Compaction writes the same deltas; a store recovered from it holds the same interactions.
    for (let i = 0; i < 400; i++) {
      const { session: other } = s.start(`filler${i}`, null);
      s.record(other, fixedInteraction(`f${i}`, { promptIds: Int32Array.from(new Array(200).fill(7)) }));
      s.remove(other.id);
    }
    expect(statSync(file).size).toBeLessThan(400 * 1000);
    check(store(dir));
  });

  it('a torn last write after a crash is dropped; everything before it is recovered', () => {
    const dir = mkdtempSync(join(tmpdir(), 'torn-'));
    const s = store(dir);
    const { session } = s.start('torn', null);
    s.record(session, fixedInteraction('kept'));
    const file = join(dir, 'sessions.journal');
    const size = statSync(file).size;
    s.record(session, fixedInteraction('torn'));
    truncateSync(file, size + 10);
    const recovered = store(dir);
    expect([...recovered.get(session.id)!.active.values()].map((i) => i.id)).toEqual(['kept']);
  });
});
