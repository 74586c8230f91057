import { messageKey } from './message-key.js';
import { PromptArena } from './prompt-arena.js';

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
 * answer are a prefix of the new one's messages (the first inserted among equals).
 *
 * Each interaction is indexed by the length of its recorded conversation (messages plus answer)
 * and a key of its last message (message-key.ts), so finding a parent looks up, for each
 * length from the longest down, the key of the request's message at that place, instead of
 * comparing against every earlier interaction; only a candidate found there is compared message
 * for message. A 128-turn episode's last turn keys three messages and compares one conversation,
 * not 128.
 */
export class InteractionCache {
  private readonly byId = new Map<string, Interaction>();
  /** Length and last message's key of messages + outputMessages → those interactions, in insertion order. */
  private readonly byConversation = new Map<string, Interaction[]>();
  /** Insertion order, for the tie between equally long parents. */
  private readonly order = new Map<Interaction, number>();
  private nextPlace = 0;
  /**
   * The parent `findParent` found for a message array, compared equal message for message: when
   * that array is recorded, its prefix is the parent's own message objects, kept once.
   */
  private readonly foundParents = new WeakMap<readonly unknown[], Interaction>();
  /** The prompts' ids, shared between a turn and its parent (prompt-arena.ts). */
  private readonly prompts = new PromptArena();

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
    const previous = this.byId.get(interaction.id);
    // Like the map it indexes, a replaced interaction keeps its place in the insertion order.
    const place = previous ? (this.order.get(previous) ?? this.nextPlace++) : this.nextPlace++;
    if (previous) this.unindex(previous);
    const parent = interaction.parentId === null ? undefined : this.byId.get(interaction.parentId);
    interaction.promptIds = this.prompts.store(interaction.promptIds, parent?.promptIds ?? null);
    if (this.prompts.grew)
      for (const earlier of this.byId.values()) earlier.promptIds = this.prompts.relocate(earlier.promptIds);
    if (parent && this.foundParents.get(interaction.messages) === parent) {
      // Equal to the parent's messages and answer (findParent compared them): hold those objects
      // instead of a second copy of the conversation per turn.
      const shared = parent.messages.length + parent.outputMessages.length;
      interaction.messages = [...parent.messages, ...parent.outputMessages, ...interaction.messages.slice(shared)];
    }
    this.byId.set(interaction.id, interaction);
    this.order.set(interaction, place);
    // A raw completion has no messages: it is never a chat turn's parent.
    if (interaction.messages.length + interaction.outputMessages.length === 0) return;
    const length = interaction.messages.length + interaction.outputMessages.length;
    const last = interaction.outputMessages.at(-1) ?? interaction.messages.at(-1);
    const key = `${length}\u0000${messageKey(last)}`;
    const list = this.byConversation.get(key);
    if (list) list.push(interaction);
    else this.byConversation.set(key, [interaction]);
  }

  private unindex(interaction: Interaction): void {
    this.order.delete(interaction);
    for (const [key, list] of this.byConversation) {
      const at = list.indexOf(interaction);
      if (at < 0) continue;
      list.splice(at, 1);
      if (list.length === 0) this.byConversation.delete(key);
      return;
    }
  }

  findParent(messages: readonly unknown[]): Interaction | null {
    let best: Interaction | null = null;
    // A candidate recorded `length` messages in all, of which at most `length` are input messages:
    // once that cannot beat the best, shorter prefixes cannot either.
    for (let length = messages.length; length > 0; length--) {
      if (best && length < best.messages.length) break;
      const list = this.byConversation.get(`${length}\u0000${messageKey(messages[length - 1])}`);
      if (!list) continue;
      for (const candidate of list) {
        if (candidate.messages.length + candidate.outputMessages.length !== length) continue;
        if (best && !this.beats(candidate, best)) continue;
        if (
          isPrefix(candidate.messages, messages, 0) &&
          isPrefix(candidate.outputMessages, messages, candidate.messages.length)
        )
          best = candidate;
      }
    }
    if (best) this.foundParents.set(messages, best);
    return best;
  }

  /** More input messages wins; among equals, the first inserted. */
  private beats(candidate: Interaction, best: Interaction): boolean {
    if (candidate.messages.length !== best.messages.length) return candidate.messages.length > best.messages.length;
    return (this.order.get(candidate) ?? 0) < (this.order.get(best) ?? 0);
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

/** Whether `full` holds `part` at `at`, message for message. */
function isPrefix(part: readonly unknown[], full: readonly unknown[], at: number): boolean {
  for (let i = 0; i < part.length; i++) if (!deepEqual(part[i], full[at + i])) return false;
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
