/**
 * One recorded chat completion: what was asked, exactly which tokens were generated, their
 * log-probabilities and weight versions. Token data lives in typed arrays (4 bytes per value).
 */
export interface Interaction {
  /** The completion id (`chatcmpl-...`), also the interaction id. */
  id: string;
  /** `tokens`: generated here, with exact token data; `string`: an external model's answer (messages only). */
  kind: 'tokens' | 'string';
  /** Normalised request messages. */
  messages: unknown[];
  chatTemplateType: 'hf' | 'concat';
  /** The interaction this one continues (its messages + answer are a prefix of ours). */
  parentId: string | null;
  promptIds: Int32Array;
  outputIds: Int32Array;
  outputLogprobs: Float32Array;
  outputVersions: Int32Array;
  stopReason: 'stop' | 'length' | 'tool_calls';
  /** The assistant message as returned to the client (null fields omitted). */
  outputMessages: Record<string, unknown>[];
  reward: number | null;
  createdAt: number;
}

/**
 * The interactions of one trajectory, in insertion order, with parent detection:
 * a new interaction's parent is the interaction with the most input messages whose messages plus
 * answer are a prefix of the new one's messages.
 */
export class InteractionCache {
  private readonly byId = new Map<string, Interaction>();

  get size(): number {
    return this.byId.size;
  }

  get(id: string): Interaction | undefined {
    return this.byId.get(id);
  }

  values(): IterableIterator<Interaction> {
    return this.byId.values();
  }

  /** The most recently inserted interaction (the default reward target). */
  last(): Interaction | undefined {
    let last: Interaction | undefined;
    for (const interaction of this.byId.values()) last = interaction;
    return last;
  }

  insert(interaction: Interaction): void {
    this.byId.set(interaction.id, interaction);
  }

  findParent(messages: readonly unknown[]): Interaction | null {
    let best: Interaction | null = null;
    for (const candidate of this.byId.values()) {
      const prefixLength = candidate.messages.length + candidate.outputMessages.length;
      // A raw completion has no messages: it is never a chat turn's parent.
      if (prefixLength === 0 || prefixLength > messages.length) continue;
      if (best && candidate.messages.length <= best.messages.length) continue;
      if (isPrefix([...candidate.messages, ...candidate.outputMessages], messages)) best = candidate;
    }
    return best;
  }

  /**
   * The parent of a raw-prompt turn (`/v1/completions`): the generated interaction with the
   * longest prompt + output whose tokens the new prompt starts with, exactly.
   */
  findTokenParent(promptIds: readonly number[]): Interaction | null {
    let best: Interaction | null = null;
    let bestLength = 0;
    for (const candidate of this.byId.values()) {
      if (candidate.kind !== 'tokens') continue;
      const length = candidate.promptIds.length + candidate.outputIds.length;
      if (length <= bestLength || length > promptIds.length) continue;
      if (
        startsWith(promptIds, candidate.promptIds, 0) &&
        startsWith(promptIds, candidate.outputIds, candidate.promptIds.length)
      ) {
        best = candidate;
        bestLength = length;
      }
    }
    return best;
  }
}

function startsWith(ids: readonly number[], part: Int32Array, at: number): boolean {
  for (let i = 0; i < part.length; i++) if (ids[at + i] !== part[i]) return false;
  return true;
}

function isPrefix(prefix: readonly unknown[], full: readonly unknown[]): boolean {
  for (let i = 0; i < prefix.length; i++) if (!deepEqual(prefix[i], full[i])) return false;
  return true;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, i) => deepEqual(item, other[i]));
  }
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  if (ak.length !== bk.length) return false;
  return ak.every(
    (k) =>
      Object.prototype.hasOwnProperty.call(b, k) &&
      deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}
