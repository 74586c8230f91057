import { describe, expect, it } from '@jest/globals';
import { noteContinuedList } from './continued-messages.js';
import { deepEqual, InteractionCache, type Interaction } from './interaction.js';
import { noteParentPrefix } from './prompt-provenance.js';

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

  it("stores a child's prompt after its parent's, reading only the ids its builder did not vouch for", () => {
    const cache = new InteractionCache();
    const parentPrompt = Array.from({ length: 1000 }, (_, i) => i);
    const parent = cache.insert({ ...interaction('a', [u1], 'ans1'), promptIds: parentPrompt });
    const ids = Array.from({ length: 1100 }, (_, i) => i);
    let reads = 0;
    const childPrompt = new Proxy(ids, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    // Vouched for under another parent: not trusted here.
    noteParentPrefix(childPrompt, interaction('a', [u1], 'ans1'), 1000);
    const other = cache.insert({ ...interaction('b0', [u1, a1, u2], 'ans2'), parentId: 'a', promptIds: childPrompt });
    expect(reads).toBe(1000 + 100);
    noteParentPrefix(childPrompt, parent, 990);
    reads = 0;
    // A sibling: `b0` is now the last prompt stored, so `a`'s is not continued (stored whole).
    const child = cache.insert({ ...interaction('b', [u1, a1, u2], 'ans2'), parentId: 'a', promptIds: childPrompt });
    expect(Array.from(child.promptIds)).toEqual(ids);
    expect(Array.from(other.promptIds)).toEqual(ids);
    expect(Array.from(parent.promptIds)).toEqual(parentPrompt);
    // Continuing the last stored prompt: only its ids after the vouched 990 are compared, then the new ones copied.
    const grandchildIds = [...ids, 7, 8, 9];
    noteParentPrefix(grandchildIds, child, 990);
    const grandchild = cache.insert({
      ...interaction('c', [u1, a1, u2, { content: 'ans2', role: 'assistant' }], 'ans3'),
      parentId: 'b',
      promptIds: grandchildIds,
    });
    expect(grandchild.promptIds.buffer).toBe(child.promptIds.buffer);
    expect(grandchild.promptIds.byteOffset).toBe(child.promptIds.byteOffset);
    expect(Array.from(grandchild.promptIds)).toEqual(grandchildIds);
  });

  it('does not trust what was vouched for a parent that was replaced since (recorded again under its id)', () => {
    const cache = new InteractionCache();
    const original = cache.insert({ ...interaction('p', [u1], 'ans1'), promptIds: [10, 11, 12, 13, 14] });
    const childIds = [10, 11, 12, 13, 14, 20, 21, 22];
    noteParentPrefix(childIds, original, 5);
    // A raw turn recorded under the same id (a `/generate` rid) between the child's prompt and its record.
    cache.insert({ ...interaction('p', [], ''), outputMessages: [], promptIds: [99, 98, 97] });
    const child = cache.insert({ ...interaction('c', [u1, a1, u2], 'ans2'), parentId: 'p', promptIds: childIds });
    expect(Array.from(child.promptIds)).toEqual(childIds);
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

  it('finds a parent whose recorded messages have their keys in another order', () => {
    const cache = new InteractionCache();
    cache.insert(interaction('a', [{ content: 'one', role: 'user' }], 'ans1'));
    expect(cache.findParent([u1, { role: 'assistant', content: 'ans1' }, u2])?.id).toBe('a');
    // A key with an undefined value is a key: deepEqual tells these apart, and so does the index.
    expect(cache.findParent([u1, { role: 'assistant', content: 'ans1', name: undefined }, u2])).toBeNull();
  });

  it('among equally long parents, the first inserted wins; a re-inserted id keeps its place', () => {
    const cache = new InteractionCache();
    cache.insert(interaction('first', [u1], 'ans1'));
    cache.insert(interaction('second', [u1], 'ans1'));
    expect(cache.findParent([u1, a1, u2])?.id).toBe('first');
    cache.insert(interaction('first', [u1], 'other'));
    expect(cache.findParent([u1, a1, u2])?.id).toBe('second');
    cache.insert(interaction('first', [u1], 'ans1'));
    expect(cache.findParent([u1, a1, u2])?.id).toBe('first');
  });

  it("stores a turn once over its parent: the parent's message objects and prompt ids, the same values", () => {
    const cache = new InteractionCache();
    const first = { ...interaction('a', [u1], 'ans1'), promptIds: Int32Array.from([1, 2, 3]) };
    cache.insert(first);
    // The next request, parsed afresh: equal messages, other objects.
    const messages = JSON.parse(JSON.stringify([u1, a1, u2])) as unknown[];
    const parent = cache.findParent(messages);
    expect(parent?.id).toBe('a');
    const second = {
      ...interaction('b', messages, 'ans2'),
      parentId: 'a',
      promptIds: Int32Array.from([1, 2, 3, 9, 4]),
    };
    cache.insert(second);
    const stored = cache.get('b')!;
    expect(stored.messages).toEqual([u1, a1, u2]);
    expect(stored.messages[0]).toBe(first.messages[0]);
    expect(stored.messages[1]).toBe(first.outputMessages[0]);
    expect(Array.from(stored.promptIds)).toEqual([1, 2, 3, 9, 4]);
    expect(Array.from(cache.get('a')!.promptIds)).toEqual([1, 2, 3]);
    expect(stored.promptIds.buffer).toBe(cache.get('a')!.promptIds.buffer);
  });

  /** `list` behind a proxy that counts reads of its elements, by index. */
  function counted(list: unknown[]): { list: unknown[]; reads: Map<number, number> } {
    const reads = new Map<number, number>();
    const proxy = new Proxy(list, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads.set(Number(key), (reads.get(Number(key)) ?? 0) + 1);
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    return { list: proxy, reads };
  }

  it('matches a request that continues the list a turn was recorded from by its new messages only', () => {
    const cache = new InteractionCache();
    // Turn 1's request list, recorded as is (no parent).
    const first: unknown[] = [u1];
    cache.insert(interaction('a', first, 'ans1'));
    // Turn 2 resends turn 1's list (the same objects) and adds the answer, parsed afresh, and u2.
    const second = counted(first.concat(JSON.parse(JSON.stringify([a1, u2])) as unknown[]));
    noteContinuedList(second.list, first, first.length);
    expect(cache.findParent(second.list)?.id).toBe('a');
    // Read once, for the index lookup at length 1 (the key of a conversation's last message), not compared.
    expect(second.reads.get(0)).toBe(1);
    // Recorded over its parent (the parent's objects, not the request's): turn 3 still continues it.
    cache.insert({ ...interaction('b', second.list, 'ans2'), parentId: 'a' });
    expect(cache.get('b')!.messages).not.toBe(second.list);
    const third = counted(
      second.list.concat([
        { content: 'ans2', role: 'assistant' },
        { role: 'user', content: '3' },
      ]),
    );
    noteContinuedList(third.list, second.list, 3);
    expect(cache.findParent(third.list)?.id).toBe('b');
    // 2 is read for the index lookup at length 3 only.
    expect([0, 1, 2].map((i) => third.reads.get(i))).toEqual([undefined, undefined, 1]);
  });

  it('compares in full a request that continues a list no candidate was recorded from', () => {
    const cache = new InteractionCache();
    cache.insert(interaction('a', [u1], 'ans1'));
    // The same objects as a recorded turn's messages would be, but another list: nothing known.
    const other: unknown[] = [{ role: 'user', content: 'not one' }];
    const request = counted(other.concat([a1, u2]));
    noteContinuedList(request.list, other, 1);
    expect(cache.findParent(request.list)).toBeNull();
    const equal = counted([u1, a1, u2]);
    noteContinuedList(equal.list, [u1], 1);
    expect(cache.findParent(equal.list)?.id).toBe('a');
    // The index lookup at length 1, then the comparison.
    expect(equal.reads.get(0)).toBe(2);
  });

  it('tells apart messages that share a key (same length and ends) by comparing them', () => {
    const long = (middle: string): string => `${'a'.repeat(20)}${middle}${'z'.repeat(20)}`;
    const cache = new InteractionCache();
    cache.insert(interaction('a', [u1], long('x')));
    expect(cache.findParent([u1, { content: long('y'), role: 'assistant' }, u2])).toBeNull();
    expect(cache.findParent([u1, { content: long('x'), role: 'assistant' }, u2])?.id).toBe('a');
  });

  it('agrees with comparing against every interaction, on branching random conversations', () => {
    // The rule itself, written out: the most input messages among the interactions whose
    // messages plus answer are a prefix, the first inserted among equals.
    const reference = (all: Interaction[], messages: unknown[]): string | null => {
      let best: Interaction | null = null;
      for (const c of all) {
        const recorded = [...c.messages, ...c.outputMessages];
        if (recorded.length === 0 || recorded.length > messages.length) continue;
        if (best && c.messages.length <= best.messages.length) continue;
        if (recorded.every((m, i) => deepEqual(m, messages[i]))) best = c;
      }
      return best?.id ?? null;
    };
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed % n;
    };
    const cache = new InteractionCache();
    const all: Interaction[] = [];
    const conversations: unknown[][] = [[{ role: 'user', content: 'start' }]];
    for (let turn = 0; turn < 400; turn++) {
      // Continue, branch from an earlier point, or edit a message: each a request of its own.
      const base = conversations[rand(conversations.length)];
      let messages = base.slice(0, 1 + rand(base.length));
      if (rand(5) === 0 && messages.length > 1) {
        messages = [...messages];
        messages[rand(messages.length)] = { role: 'user', content: `edit ${rand(3)}` };
      }
      // Long texts that differ only inside share their message keys: the comparison tells them apart.
      const question = rand(2) === 0 ? `q ${rand(4)}` : `${'a'.repeat(30)}${rand(4)}${'b'.repeat(30)}`;
      messages = [...messages, { role: 'user', content: question, ...(rand(3) === 0 ? { name: 'n' } : {}) }];
      const found = cache.findParent(messages)?.id ?? null;
      expect(found).toBe(reference(all, messages));
      const answer = rand(2) === 0 ? `a ${rand(3)}` : `${'c'.repeat(30)}${rand(3)}${'d'.repeat(30)}`;
      const recorded = interaction(`i${turn % 350}`, messages, answer);
      // Ids repeat late in the run: a re-recorded id replaces the earlier one in place.
      const at = all.findIndex((i) => i.id === recorded.id);
      if (at >= 0) all[at] = recorded;
      else all.push(recorded);
      cache.insert(recorded);
      conversations.push([...messages, { content: answer, role: 'assistant' }]);
    }
  });
  it('stores an answer compactly with the same values: ids and log-probs on one buffer, versions as runs', () => {
    const cache = new InteractionCache();
    const recorded = {
      ...interaction('a', [u1], 'ans1'),
      outputIds: Int32Array.from([5, 6, 7]),
      outputLogprobs: Float32Array.from([-0.5, -0.1234567, -7.25]),
      outputVersions: Int32Array.from([2, 2, 3]),
    };
    cache.insert(recorded);
    const stored = cache.get('a')!;
    expect(Array.from(stored.outputIds)).toEqual([5, 6, 7]);
    expect(Array.from(stored.outputLogprobs)).toEqual(Array.from(Float32Array.from([-0.5, -0.1234567, -7.25])));
    expect([...stored.outputVersions]).toEqual([2, 2, 3]);
    expect(stored.outputIds.buffer).toBe(stored.outputLogprobs.buffer);
    expect(stored.outputVersions).not.toBeInstanceOf(Int32Array);
  });

  it('trim gives the prompt buffer its exact size and keeps every prompt', () => {
    const cache = new InteractionCache();
    cache.insert({ ...interaction('a', [u1], 'ans1'), promptIds: Int32Array.from([1, 2, 3]) });
    cache.insert({
      ...interaction('b', [u1, a1, u2], 'ans2'),
      parentId: 'a',
      promptIds: Int32Array.from([1, 2, 3, 4]),
    });
    cache.trim();
    expect(Array.from(cache.get('a')!.promptIds)).toEqual([1, 2, 3]);
    expect(Array.from(cache.get('b')!.promptIds)).toEqual([1, 2, 3, 4]);
    expect(cache.get('b')!.promptIds.buffer.byteLength).toBe(4 * 4);
    expect(cache.get('a')!.promptIds.buffer).toBe(cache.get('b')!.promptIds.buffer);
  });
});
