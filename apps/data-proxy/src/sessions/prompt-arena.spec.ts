import { describe, expect, it } from '@jest/globals';
import { PromptArena } from './prompt-arena.js';

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe(PromptArena.name, () => {
  it('stores a continuing prompt once: the child is a view over the parent ids plus its own', () => {
    const arena = new PromptArena();
    const first = arena.store(range(0, 100), null);
    const second = arena.store(range(0, 150), first);
    const third = arena.store(range(0, 300), second);
    expect(Array.from(first)).toEqual(range(0, 100));
    expect(Array.from(second)).toEqual(range(0, 150));
    expect(Array.from(third)).toEqual(range(0, 300));
    expect(second.buffer).toBe(first.buffer);
    expect(third.byteOffset).toBe(second.byteOffset);
  });

  it('stores a prompt that diverges from its parent whole, and never changes an earlier view', () => {
    const arena = new PromptArena();
    const parent = arena.store(range(0, 50), null);
    const edited = [...range(0, 49), -1, ...range(50, 60)];
    const child = arena.store(edited, parent);
    const sibling = arena.store(range(0, 70), parent); // the parent is no longer the last stored
    expect(Array.from(parent)).toEqual(range(0, 50));
    expect(Array.from(child)).toEqual(edited);
    expect(Array.from(sibling)).toEqual(range(0, 70));
  });

  it('compares only the parent ids its builder does not vouch for', () => {
    const arena = new PromptArena();
    const parent = arena.store(range(0, 100), null);
    // The first 90 are vouched for: the prompt is read from 90 on (a proxy counts the reads).
    let reads = 0;
    const prompt = new Proxy(range(0, 120), {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const child = arena.store(prompt, parent, 90);
    expect(child.buffer).toBe(parent.buffer);
    expect(child.byteOffset).toBe(parent.byteOffset);
    expect(reads).toBe(10 + 20);
    // What is not vouched for is still compared: a change after the vouched ids stores the prompt whole.
    const edited = [...range(0, 95), -1, ...range(96, 130)];
    const branch = arena.store(edited, child, 90);
    expect(branch.byteOffset).toBe(child.byteOffset + child.byteLength);
    expect(Array.from(branch)).toEqual(edited);
    expect(Array.from(child)).toEqual(range(0, 120));
  });

  it('keeps every view intact across buffer growth, over a long episode', () => {
    const arena = new PromptArena();
    const expected: number[][] = [];
    const views: Int32Array[] = [];
    let prompt: number[] = [];
    for (let turn = 0; turn < 128; turn++) {
      prompt = [...prompt, ...range(turn * 1000, turn * 1000 + 120)];
      views.push(arena.store(prompt, views.at(-1) ?? null));
      expected.push(prompt);
    }
    views.forEach((view, i) => expect(Array.from(view)).toEqual(expected[i]));
    // Moved to the current buffer, the earlier views free the buffers they were on.
    const moved = views.map((view) => arena.relocate(view));
    moved.forEach((view, i) => expect(Array.from(view)).toEqual(expected[i]));
    // One copy of the ids (and room to grow), not one per turn.
    expect(arena.bytes).toBeLessThanOrEqual(2 * 4 * prompt.length + 4096);
  });
  it('trims the room to grow: the same ids move to a buffer of their exact size, and views relocate to it', () => {
    const arena = new PromptArena();
    const first = arena.store(range(0, 100), null);
    const second = arena.store(range(0, 150), first);
    expect(arena.bytes).toBeGreaterThan(150 * 4);
    expect(arena.trim()).toBe(true);
    expect(arena.bytes).toBe(150 * 4);
    const [movedFirst, movedSecond] = [arena.relocate(first), arena.relocate(second)];
    expect(movedSecond.buffer).not.toBe(second.buffer);
    expect(movedFirst.buffer).toBe(movedSecond.buffer);
    expect(Array.from(movedFirst)).toEqual(range(0, 100));
    expect(Array.from(movedSecond)).toEqual(range(0, 150));
    expect(arena.trim()).toBe(false);
    const third = arena.store(range(0, 200), movedSecond);
    expect(Array.from(third)).toEqual(range(0, 200));
  });
});
