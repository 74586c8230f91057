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
