// Test data for the export tests (never built into dist/: `*.fixtures.ts` is excluded like specs).
import { InteractionCache, type Interaction } from '../sessions/interaction.js';

/** A small, fixed interaction for export tests (ids and values chosen by hand). */
export function fixedInteraction(id: string, overrides: Partial<Interaction> = {}): Interaction {
  return {
    id,
    kind: 'tokens',
    messages: [{ role: 'user', content: 'hi' }],
    chatTemplateType: 'hf',
    parentId: null,
    promptIds: Int32Array.from([151644, 872, 198]),
    outputIds: Int32Array.from([9707, 151645]),
    outputLogprobs: Float32Array.from([-0.5, -0.25]),
    outputVersions: Int32Array.from([3, 4]),
    stopReason: 'stop',
    outputMessages: [{ content: 'Hello', role: 'assistant' }],
    reward: null,
    createdAt: 0,
    ...overrides,
  };
}

export function cacheOf(...interactions: Interaction[]): InteractionCache {
  const cache = new InteractionCache();
  for (const interaction of interactions) cache.insert(interaction);
  return cache;
}

/**
 * The two-turn conversation of the golden files: turn 1 prompt [1,2,3] → output [10, EOS]; turn 2
 * continues it (parent tokens + [4,5]) → output [20, EOS], rewarded 1.
 */
export function goldenConversation(): InteractionCache {
  const first = fixedInteraction('t1', {
    chatTemplateType: 'concat',
    promptIds: Int32Array.from([1, 2, 3]),
    outputIds: Int32Array.from([10, 151645]),
    outputLogprobs: Float32Array.from([-1, -2]),
    outputVersions: Int32Array.from([0, 0]),
  });
  const second = fixedInteraction('t2', {
    chatTemplateType: 'concat',
    parentId: 't1',
    promptIds: Int32Array.from([1, 2, 3, 10, 151645, 4, 5]),
    outputIds: Int32Array.from([20, 151645]),
    outputLogprobs: Float32Array.from([-3, -4]),
    outputVersions: Int32Array.from([1, 1]),
    reward: 1,
  });
  return cacheOf(first, second);
}

/** The single rewarded interaction of the `individual` golden files. */
export function goldenSingle(): InteractionCache {
  return cacheOf(fixedInteraction('a', { reward: 2 }));
}
