import { describe, expect, it } from '@jest/globals';
import { deterministicSeed } from '../chat/sampling-seed.js';
import { serializeTensor, tensorValues } from './rpc-encoding.js';
import { cacheOf, fixedInteraction } from './export.fixtures.js';
import { buildTraj, exportTrajectory, normalizeGroupRewards, TRAJ_KEYS, trajToJson } from './trajectory-export.js';

/** The two interactions of AReaL 2.0's worked export example (sessions 7-0 and 7-1, version 3). */
function workedExample() {
  const first = fixedInteraction('7-0', {
    promptIds: Int32Array.from([11, 12, 13]),
    outputIds: Int32Array.from([21, 2]),
    outputLogprobs: Float32Array.from([-0.5, -0.25]),
    outputVersions: Int32Array.from([3, 3]),
    reward: 1.0,
  });
  const second = fixedInteraction('7-1', {
    promptIds: Int32Array.from([11, 12, 13, 14]),
    outputIds: Int32Array.from([31, 32, 2]),
    outputLogprobs: Float32Array.from([-1.0, -0.5, -0.125]),
    outputVersions: Int32Array.from([3, 3, 3]),
    reward: 0.0,
  });
  return [cacheOf(first), cacheOf(second)];
}

describe('AReaL 2.0 traj export (buildTraj)', () => {
  it('reproduces the worked example: keys in order, padding with 0, dtypes, and the exact shard bytes', () => {
    const items = workedExample().flatMap((cache) => exportTrajectory(cache, 'individual', 1));
    const traj = buildTraj(items);
    if (!traj || 'interactions' in traj) throw new Error('expected the tensor form');
    expect(Object.keys(traj)).toEqual([...TRAJ_KEYS]);
    const values = Object.fromEntries(TRAJ_KEYS.map((k) => [k, tensorValues(traj[k])]));
    expect(values.input_ids).toEqual([11, 12, 13, 21, 2, 0, 0, 11, 12, 13, 14, 31, 32, 2]);
    expect(values.loss_mask).toEqual([0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
    expect(values.versions).toEqual([-1, -1, -1, 3, 3, 0, 0, -1, -1, -1, -1, 3, 3, 3]);
    expect(values.turn_ids).toEqual([-1, -1, -1, 0, 0, 0, 0, -1, -1, -1, -1, 0, 0, 0]);
    expect(values.attention_mask).toEqual([1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
    expect(values.rewards).toEqual([1, 0]);
    expect(values.original_rewards).toEqual([1, 0]);
    for (const key of TRAJ_KEYS.slice(0, 6)) expect([key, traj[key].shape]).toEqual([key, [2, 7]]);
    expect(traj.rewards.shape).toEqual([2]);
    const b64 = (key: (typeof TRAJ_KEYS)[number]) => serializeTensor(traj[key]).data;
    expect(serializeTensor(traj.input_ids).dtype).toBe('torch.int64');
    expect(serializeTensor(traj.turn_ids).dtype).toBe('torch.int32');
    expect(serializeTensor(traj.attention_mask).dtype).toBe('torch.bool');
    expect(b64('input_ids')).toBe(
      'CwAAAAAAAAAMAAAAAAAAAA0AAAAAAAAAFQAAAAAAAAACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAALAAAAAAAAAAwAAAAAAAAADQAAAAAAAAAOAAAAAAAAAB8AAAAAAAAAIAAAAAAAAAACAAAAAAAAAA==',
    );
    expect(b64('logprobs')).toBe('AAAAAAAAAAAAAAAAAAAAvwAAgL4AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIC/AAAAvwAAAL4=');
    expect(b64('turn_ids')).toBe('////////////////AAAAAAAAAAAAAAAAAAAAAP////////////////////8AAAAAAAAAAAAAAAA=');
    expect(b64('attention_mask')).toBe('AQEBAQEAAAEBAQEBAQE=');
    expect(b64('rewards')).toBe('AACAPwAAAAA=');
    expect(b64('original_rewards')).toBe('AACAPwAAAAA=');
  });

  it('one interaction keeps its [1, L] shape; none gives null; an external interaction makes the string form', () => {
    const [one] = workedExample();
    const single = buildTraj(exportTrajectory(one, 'individual', 1));
    if (!single || 'interactions' in single) throw new Error('expected the tensor form');
    expect(single.input_ids.shape).toEqual([1, 5]);
    expect(single.rewards.shape).toEqual([1]);
    expect(buildTraj([])).toBeNull();
    const external = fixedInteraction('ext', {
      kind: 'string',
      outputMessages: [{ role: 'assistant', content: '{"id":"chatcmpl-mock"}' }],
      reward: 1,
    });
    const mixed = buildTraj([
      ...exportTrajectory(one, 'individual', 1),
      ...exportTrajectory(cacheOf(external), 'individual', 1),
    ]);
    expect(mixed).toEqual({
      interactions: [
        { request: [{ role: 'user', content: 'hi' }], response: 'Hello', reward: 1 },
        { request: [{ role: 'user', content: 'hi' }], response: '{"id":"chatcmpl-mock"}', reward: 1 },
      ],
    });
  });

  it('concat style: one leaf row, turn ids 0 then 1 on each turn’s outputs (checklist item 7)', () => {
    const parent = fixedInteraction('t0', {
      chatTemplateType: 'concat',
      promptIds: Int32Array.from([1, 2]),
      outputIds: Int32Array.from([3, 4]),
      outputLogprobs: Float32Array.from([-1, -1]),
      outputVersions: Int32Array.from([5, 5]),
    });
    const child = fixedInteraction('t1', {
      chatTemplateType: 'concat',
      parentId: 't0',
      promptIds: Int32Array.from([1, 2, 3, 4, 9]),
      outputIds: Int32Array.from([7, 8]),
      outputLogprobs: Float32Array.from([-2, -2]),
      outputVersions: Int32Array.from([6, 6]),
      reward: 1,
    });
    const traj = buildTraj(exportTrajectory(cacheOf(parent, child), 'concat', 1));
    if (!traj || 'interactions' in traj) throw new Error('expected the tensor form');
    expect(tensorValues(traj.turn_ids)).toEqual([-1, -1, 0, 0, -1, 1, 1]);
    expect(tensorValues(traj.loss_mask)).toEqual([0, 0, 1, 1, 0, 1, 1]);
    const json = trajToJson(traj);
    expect(json.attention_mask).toEqual([[true, true, true, true, true, true, true]]);
    expect(json.rewards).toEqual([1]);
  });

  it('individual style with discount 0.5: rewards [0.5, 1.0] (checklist item 7)', () => {
    const cache = cacheOf(fixedInteraction('a'), fixedInteraction('b', { reward: 1.0 }));
    const traj = buildTraj(exportTrajectory(cache, 'individual', 0.5));
    if (!traj || 'interactions' in traj) throw new Error('expected the tensor form');
    expect(tensorValues(traj.rewards)).toEqual([0.5, 1.0]);
  });
});

describe('group reward normalization (AReaL GroupedRolloutWorkflow, tests/test_grouped_rollout_workflow.py)', () => {
  it('[1, 3] → [-1, 1] with the originals kept; equal rewards → 0; a member without a reward → null', () => {
    const members = [cacheOf(fixedInteraction('m0', { reward: 1 })), cacheOf(fixedInteraction('m1', { reward: 3 }))];
    const normalized = normalizeGroupRewards(members)!;
    expect(normalized.get('m0')).toBeCloseTo(-1, 6);
    expect(normalized.get('m1')).toBeCloseTo(1, 6);
    const items = members.flatMap((cache) => exportTrajectory(cache, 'individual', 1, normalized));
    const traj = buildTraj(items);
    if (!traj || 'interactions' in traj) throw new Error('expected the tensor form');
    expect(tensorValues(traj.rewards).map((r) => Math.round(r * 1e5) / 1e5)).toEqual([-1, 1]);
    expect(tensorValues(traj.original_rewards)).toEqual([1, 3]);
    const equal = normalizeGroupRewards([
      cacheOf(fixedInteraction('x', { reward: 2 })),
      cacheOf(fixedInteraction('y', { reward: 2 })),
    ])!;
    expect([equal.get('x'), equal.get('y')]).toEqual([0, 0]);
    expect(
      normalizeGroupRewards([cacheOf(fixedInteraction('z', { reward: 1 })), cacheOf(fixedInteraction('w'))]),
    ).toBeNull();
  });
});

describe('deterministic sampling seeds (areal/utils/seeding.py)', () => {
  it.each([
    ['17', 0, 422241094],
    ['17:0', 0, 437721237],
    ['17:1', 0, 1164215318],
    ['17:1', 1, 1314643969],
    ['__hitl__', 0, 77532800],
  ])('seed(%j, %d) = %d', (identity, index, seed) => {
    expect(deterministicSeed(identity, index)).toBe(seed);
  });

  it('refuses a negative index', () => {
    expect(() => deterministicSeed('17', -1)).toThrow(RangeError);
  });
});
