import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { serializeTensor, tensorValues } from './rpc-encoding.js';
import { cacheOf, fixedInteraction, goldenConversation, goldenSingle } from './export.fixtures.js';
import { discountedRewards, ExportError, exportTrajectory, TENSOR_KEYS, toJsonEntry } from './trajectory-export.js';

// `npm run golden:export` rewrites the golden files from what the code exports now; review the
// diff by hand against the byte-level assertions below and in rpc-encoding.spec.ts.
const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === '1';

/** The golden file `name`, after writing `actual` into it in update mode. */
function golden(name: string, actual: unknown): unknown {
  const file = new URL(`./golden/${name}`, import.meta.url);
  if (UPDATE_GOLDEN) writeFileSync(file, JSON.stringify(actual, null, 2) + '\n');
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}

describe('discountedRewards', () => {
  it('propagates the last reward backwards with the discount (the worked examples of the reference)', () => {
    const cache = cacheOf(fixedInteraction('a'), fixedInteraction('b'), fixedInteraction('c', { reward: 1.0 }));
    const d09 = discountedRewards(cache, 0.9);
    expect([d09.get('a'), d09.get('b'), d09.get('c')].map((r) => Number(r!.toFixed(10)))).toEqual([0.81, 0.9, 1.0]);
    const d1 = discountedRewards(cache, 1.0);
    expect([d1.get('a'), d1.get('b'), d1.get('c')]).toEqual([1, 1, 1]);
  });

  it('adds intermediate rewards and leaves the cache unchanged', () => {
    const cache = cacheOf(fixedInteraction('a', { reward: 0.5 }), fixedInteraction('b', { reward: 1 }));
    expect(discountedRewards(cache, 0.5).get('a')).toBe(1);
    expect(cache.get('a')!.reward).toBe(0.5);
  });
});

describe('exportTrajectory', () => {
  it('individual: one row per interaction, prompt masked, versions -1 on the prompt', () => {
    const [item] = exportTrajectory(cacheOf(fixedInteraction('a', { reward: 2 })), 'individual', 1);
    const t = item.tensors!;
    expect(tensorValues(t.input_ids)).toEqual([151644, 872, 198, 9707, 151645]);
    expect(tensorValues(t.loss_mask)).toEqual([0, 0, 0, 1, 1]);
    expect(tensorValues(t.logprobs)).toEqual([0, 0, 0, -0.5, -0.25]);
    expect(tensorValues(t.versions)).toEqual([-1, -1, -1, 3, 4]);
    expect(tensorValues(t.attention_mask)).toEqual([1, 1, 1, 1, 1]);
    expect(tensorValues(t.rewards)).toEqual([2]);
    expect(t.input_ids.shape).toEqual([1, 5]);
    expect(t.rewards.shape).toEqual([1]);
  });

  it('matches the golden serialized tensors, byte for byte', () => {
    const [item] = exportTrajectory(goldenSingle(), 'individual', 1);
    const serialized = Object.fromEntries(TENSOR_KEYS.map((k) => [k, serializeTensor(item.tensors![k])]));
    expect(serialized).toEqual(golden('individual-tensors.json', serialized));
    expect(toJsonEntry(item)).toEqual(golden('individual-json.json', toJsonEntry(item)));
  });

  const conversation = goldenConversation;

  it('concat: exports the leaf with every model token of the conversation trained once', () => {
    const items = exportTrajectory(conversation(), 'concat', 1);
    expect(items.map((i) => i.interaction.id)).toEqual(['t2']);
    const t = items[0].tensors!;
    expect(tensorValues(t.input_ids)).toEqual([1, 2, 3, 10, 151645, 4, 5, 20, 151645]);
    expect(tensorValues(t.loss_mask)).toEqual([0, 0, 0, 1, 1, 0, 0, 1, 1]);
    expect(tensorValues(t.logprobs)).toEqual([0, 0, 0, -1, -2, 0, 0, -3, -4]);
    expect(tensorValues(t.versions)).toEqual([-1, -1, -1, 0, 0, -1, -1, 1, 1]);
    const serialized = Object.fromEntries(TENSOR_KEYS.map((k) => [k, serializeTensor(t[k])]));
    expect(serialized).toEqual(golden('concat-tensors.json', serialized));
  });

  it('individual on a concat conversation: each row trains only its own outputs (no double counting)', () => {
    const items = exportTrajectory(conversation(), 'individual', 1);
    expect(items.map((i) => tensorValues(i.tensors!.loss_mask))).toEqual([
      [0, 0, 0, 1, 1],
      [0, 0, 0, 0, 0, 0, 0, 1, 1],
    ]);
  });

  it('refuses concat style on hf interactions before changing anything', () => {
    expect(() => exportTrajectory(cacheOf(fixedInteraction('a')), 'concat', 1)).toThrow(ExportError);
  });

  it('exports string interactions as messages only', () => {
    const [item] = exportTrajectory(
      cacheOf(
        fixedInteraction('s', {
          kind: 'string',
          promptIds: new Int32Array(0),
          outputIds: new Int32Array(0),
          reward: 1,
        }),
      ),
      'individual',
      1,
    );
    expect(item.tensors).toBeNull();
    expect(toJsonEntry(item)).toEqual({
      interaction_id: 's',
      parent_id: null,
      reward: 1,
      messages: [{ role: 'user', content: 'hi' }],
      output_messages: [{ content: 'Hello', role: 'assistant' }],
    });
  });
});
