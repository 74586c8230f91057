import { describe, expect, it } from '@jest/globals';
import { deepEqual, InteractionCache, type Interaction } from './interaction.js';

function interaction(id: string, messages: unknown[], answer: string): Interaction {
  return {
    id,
    kind: 'tokens',
    messages,
    chatTemplateType: 'hf',
    parentId: null,
    promptIds: new Int32Array(0),
    outputIds: new Int32Array(0),
    outputLogprobs: new Float32Array(0),
    outputVersions: new Int32Array(0),
    stopReason: 'stop',
    outputMessages: [{ content: answer, role: 'assistant' }],
    reward: null,
    createdAt: 0,
  };
}

describe(InteractionCache.name, () => {
  const u1 = { role: 'user', content: 'one' };
  const a1 = { content: 'ans1', role: 'assistant' };
  const u2 = { role: 'user', content: 'two' };

  it('finds the parent whose messages plus answer prefix the new messages (longest wins)', () => {
    const cache = new InteractionCache();
    cache.insert(interaction('a', [u1], 'ans1'));
    cache.insert(interaction('b', [u1, a1, u2], 'ans2'));
    expect(cache.findParent([u1, a1, u2])?.id).toBe('a');
    expect(
      cache.findParent([u1, a1, u2, { content: 'ans2', role: 'assistant' }, { role: 'user', content: 'three' }])?.id,
    ).toBe('b');
  });

  it('finds no parent for edited history', () => {
    const cache = new InteractionCache();
    cache.insert(interaction('a', [u1], 'ans1'));
    expect(cache.findParent([u1, { content: 'edited', role: 'assistant' }, u2])).toBeNull();
  });

  it('keeps insertion order and reports the last interaction', () => {
    const cache = new InteractionCache();
    cache.insert(interaction('a', [u1], 'x'));
    cache.insert(interaction('b', [u2], 'y'));
    expect([...cache.values()].map((i) => i.id)).toEqual(['a', 'b']);
    expect(cache.last()?.id).toBe('b');
  });

  it('compares messages deeply regardless of key order', () => {
    expect(deepEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(deepEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
  });
});
