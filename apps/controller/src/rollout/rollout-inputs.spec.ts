import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acceptSpecError, resolveAcceptPredicate } from './accept-predicate.js';
import { DatasetCursor, DatasetError, readJsonlDataset } from './dataset.js';
import { normalizeReward } from './episode.js';

const dir = mkdtempSync(join(tmpdir(), 'datasets-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('JSONL datasets', () => {
  it('reads one object per line, skipping blank lines, and cycles with an epoch count', () => {
    const { items } = readJsonlDataset(file('ok.jsonl', '{"a":1}\n\n{"a":2}\n'));
    expect(items).toEqual([{ a: 1 }, { a: 2 }]);
    const cursor = new DatasetCursor(items);
    expect([cursor.next().item, cursor.next().item, cursor.next().item]).toEqual([{ a: 1 }, { a: 2 }, { a: 1 }]);
    expect([cursor.position, cursor.epoch]).toEqual([1, 1]);
    cursor.reset();
    expect([cursor.position, cursor.epoch]).toEqual([0, 0]);
  });

  it('refuses a missing file, a malformed line (with its number), a non-object line, an empty file', () => {
    expect(() => readJsonlDataset(join(dir, 'nope.jsonl'))).toThrow(/ENOENT/);
    expect(() => readJsonlDataset(file('bad.jsonl', '{"a":1}\n{"a":\n'))).toThrow(/bad.jsonl:2: not valid JSON/);
    expect(() => readJsonlDataset(file('arr.jsonl', '[1]\n'))).toThrow(/:1: each line must be a JSON object/);
    expect(() => readJsonlDataset(file('empty.jsonl', '\n'))).toThrow(DatasetError);
  });
});

describe('accept predicates', () => {
  const episode = (rewards: number[], interactions = 1) => ({
    task_id: 0,
    data: {},
    rewards,
    interactions: Object.fromEntries(Array.from({ length: interactions }, (_, i) => [`i${i}`, {}])),
  });

  it('applies the declarative filters', async () => {
    const differ = (await resolveAcceptPredicate({ rewards_differ: true }))!;
    expect([differ(episode([1, 1])), differ(episode([0, 1]))]).toEqual([false, true]);
    const range = (await resolveAcceptPredicate({ min_reward: 0, max_reward: 1 }))!;
    expect([range(episode([0.5])), range(episode([-1])), range(episode([2]))]).toEqual([true, false, false]);
    const turns = (await resolveAcceptPredicate({ min_interactions: 2 }))!;
    expect([turns(episode([0], 1)), turns(episode([0], 2))]).toEqual([false, true]);
    expect(await resolveAcceptPredicate(undefined)).toBeNull();
  });

  it('explains a malformed accept field', () => {
    expect(acceptSpecError({ min_reward: 'x' })).toMatch(/min_reward must be a number/);
    expect(acceptSpecError({ nope: 1 })).toMatch(/unknown filter "nope"/);
    expect(acceptSpecError(42)).toMatch(/module path or an object/);
    expect(acceptSpecError('some/module.mjs')).toBeNull();
  });
});

describe(normalizeReward.name, () => {
  it('reads numbers, booleans and per-interaction rewards; refuses the rest', () => {
    expect(normalizeReward(0.5)).toEqual({ last: 0.5 });
    expect(normalizeReward(true)).toEqual({ last: 1 });
    expect(normalizeReward([0.1, 1])).toEqual({ last: 1, perInteraction: [0.1, 1] });
    expect(normalizeReward({ a: 0, b: 2 })).toEqual({ last: 2, perInteraction: { a: 0, b: 2 } });
    for (const bad of ['1', null, undefined, [], {}, [1, 'x'], Number.NaN, Infinity])
      expect(() => normalizeReward(bad)).toThrow(/non-numeric|non-finite/);
  });
});
