import { continuedListOf, type ContinuedList } from './continued-messages.js';
import { messageKey } from './message-key.js';
import { PromptArena } from './prompt-arena.js';
import { knownParentPrefix } from './prompt-provenance.js';
import { VersionRuns } from './version-runs.js';

/**
 * One recorded chat completion: what was asked, exactly which tokens were generated, their
 * log-probabilities and weight versions. Token data lives in typed arrays (4 bytes per value);
 * once in a cache, an answer's ids and log-probs share one buffer and its versions are runs.
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
  /**
   * Float32, as the engines compute them (SGLang and vLLM send float32 values widened to Python
   * floats) and as every export encodes them.
   */
  outputLogprobs: Float32Array;
  /** One per output token: an `Int32Array` as recorded, runs once inserted in a cache. */
  outputVersions: Int32Array | VersionRuns;
  stopReason: 'stop' | 'length' | 'tool_calls';
  /** The assistant message as returned to the client (null fields omitted). */
  outputMessages: Record<string, unknown>[];
  reward: number | null;
  createdAt: number;
}

/**
 * An interaction as it is recorded, before a cache holds it: its prompt ids in any array. The cache
 * keeps what is new of them in its prompt arena (a turn's prompt shares its parent's ids there), so
 * the recorder does not copy a 15k-id prompt into a typed array of its own first.
 */
export type NewInteraction = Omit<Interaction, 'promptIds'> & { promptIds: ArrayLike<number> };

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
  /**
   * Length and a hash of the last message's key of messages + outputMessages → those
   * interactions, in insertion order (an array only when several share the key).
   */
  private readonly byConversation = new Map<number, Interaction | Interaction[]>();
  /** Insertion order, for the tie between equally long parents. */
  private readonly order = new Map<Interaction, number>();
  /** Request messages already found equal to a recorded one (messages are never changed once parsed). */
  private readonly equalRecorded = new WeakMap<object, object>();
  private nextPlace = 0;
  /**
   * The parent `findParent` found for a message array, compared equal message for message: when
   * that array is recorded, its prefix is the parent's own message objects, kept once.
   */
  private readonly foundParents = new WeakMap<readonly unknown[], Interaction>();
  /**
   * A recorded interaction's message list → the request's list it was recorded from, equal message
   * for message (`insert` holds the parent's objects instead): a request that continues that list
   * (continued-messages.ts) is known to begin with the interaction's messages.
   */
  private readonly recordedFrom = new WeakMap<readonly unknown[], readonly unknown[]>();
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

  /** Stores `recorded` (the same object, its prompt now a view of the arena) and returns it. */
  insert(recorded: NewInteraction): Interaction {
    const interaction = recorded as Interaction;
    const previous = this.byId.get(interaction.id);
    // Like the map it indexes, a replaced interaction keeps its place in the insertion order.
    const place = previous ? (this.order.get(previous) ?? this.nextPlace++) : this.nextPlace++;
    if (previous) this.unindex(previous);
    const parent = interaction.parentId === null ? undefined : this.byId.get(interaction.parentId);
    interaction.promptIds = this.prompts.store(
      recorded.promptIds,
      parent?.promptIds ?? null,
      parent ? knownParentPrefix(recorded.promptIds, parent) : 0,
    );
    if (this.prompts.grew) this.relocatePrompts();
    storeAnswerCompactly(interaction);
    const requestMessages = interaction.messages;
    if (parent && this.foundParents.get(interaction.messages) === parent) {
      // Equal to the parent's messages and answer (findParent compared them): hold those objects
      // instead of a second copy of the conversation per turn. `concat` allocates the exact
      // length (a spread leaves room to grow: twice the pointers).
      const shared = parent.messages.length + parent.outputMessages.length;
      interaction.messages = parent.messages.concat(parent.outputMessages, interaction.messages.slice(shared));
      this.recordedFrom.set(interaction.messages, requestMessages);
    }
    this.byId.set(interaction.id, interaction);
    this.order.set(interaction, place);
    // A raw completion has no messages: it is never a chat turn's parent.
    if (interaction.messages.length + interaction.outputMessages.length === 0) return interaction;
    const length = interaction.messages.length + interaction.outputMessages.length;
    const key = conversationKey(length, interaction.outputMessages.at(-1) ?? interaction.messages.at(-1));
    const listed = this.byConversation.get(key);
    if (listed === undefined) this.byConversation.set(key, interaction);
    else if (Array.isArray(listed)) listed.push(interaction);
    else this.byConversation.set(key, [listed, interaction]);
    return interaction;
  }

  /**
   * Gives the prompt buffer's spare room back (a trajectory that is ready takes no more turns):
   * the prompts move to a buffer of their exact size.
   */
  trim(): void {
    if (this.prompts.trim()) this.relocatePrompts();
  }

  private relocatePrompts(): void {
    for (const earlier of this.byId.values()) earlier.promptIds = this.prompts.relocate(earlier.promptIds);
  }

  private unindex(interaction: Interaction): void {
    this.order.delete(interaction);
    for (const [key, listed] of this.byConversation) {
      if (listed === interaction) {
        this.byConversation.delete(key);
        return;
      }
      if (!Array.isArray(listed)) continue;
      const at = listed.indexOf(interaction);
      if (at < 0) continue;
      listed.splice(at, 1);
      if (listed.length === 1) this.byConversation.set(key, listed[0]);
      return;
    }
  }

  findParent(messages: readonly unknown[]): Interaction | null {
    let best: Interaction | null = null;
    const continued = continuedListOf(messages);
    // A candidate recorded `length` messages in all, of which at most `length` are input messages:
    // once that cannot beat the best, shorter prefixes cannot either.
    for (let length = messages.length; length > 0; length--) {
      if (best && length < best.messages.length) break;
      const listed = this.byConversation.get(conversationKey(length, messages[length - 1]));
      if (listed === undefined) continue;
      for (const candidate of Array.isArray(listed) ? listed : [listed]) {
        if (candidate.messages.length + candidate.outputMessages.length !== length) continue;
        if (best && !this.beats(candidate, best)) continue;
        if (
          this.isPrefix(candidate.messages, messages, 0, this.knownEqual(candidate, continued)) &&
          this.isPrefix(candidate.outputMessages, messages, candidate.messages.length)
        )
          best = candidate;
      }
    }
    if (best) this.foundParents.set(messages, best);
    return best;
  }

  /**
   * Whether `full` holds `part` at `at`, message for message. A request message found equal to a
   * recorded one is remembered: the agent resends the same objects turn after turn
   * (`ConversationBodies`), so a late turn compares pointers, not its whole history.
   */
  private isPrefix(part: readonly unknown[], full: readonly unknown[], at: number, from = 0): boolean {
    for (let i = from; i < part.length; i++) {
      const recorded = part[i];
      const given = full[at + i];
      const isObject = typeof given === 'object' && given !== null;
      if (recorded === given || (isObject && this.equalRecorded.get(given) === recorded)) continue;
      if (!deepEqual(recorded, given)) return false;
      if (isObject && typeof recorded === 'object' && recorded !== null) this.equalRecorded.set(given, recorded);
    }
    return true;
  }

  /**
   * How many of `candidate`'s first messages are known to equal a request's without comparing: the
   * request continues (`continued`) the very list `candidate` was recorded from, a turn's usual
   * parent. The agent resends its conversation each turn, so this is all but the newest messages.
   */
  private knownEqual(candidate: Interaction, continued: ContinuedList | undefined): number {
    if (continued === undefined) return 0;
    // `recordedFrom` holds a list of the same length as the interaction's, equal message for message.
    const source = this.recordedFrom.get(candidate.messages) ?? candidate.messages;
    return source === continued.of ? Math.min(continued.length, source.length) : 0;
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

/**
 * The index key of a recorded conversation: its length (below 2^21 messages) and a 32-bit FNV-1a
 * hash of its last message's key, as one number: a few bytes per interaction where the key text
 * took about 80. Equal conversations get equal keys; unequal ones sharing a key are told apart by
 * the comparison that follows every lookup.
 */
function conversationKey(length: number, last: unknown): number {
  const text = messageKey(last);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return length * 0x1_0000_0000 + (hash >>> 0);
}

/**
 * An answer's token data as a cache holds it: ids and log-probs as two views over one buffer
 * (one allocation per answer, not one per array), versions as runs (weights rarely change within
 * an answer: no 4 bytes per token). The chat path records its answers in this form directly.
 */
export function compactAnswer(
  ids: ArrayLike<number>,
  logprobs: ArrayLike<number>,
  versions: ArrayLike<number> | VersionRuns,
): Pick<Interaction, 'outputIds' | 'outputLogprobs' | 'outputVersions'> {
  const buffer = new ArrayBuffer((ids.length + logprobs.length) * 4);
  const outputIds = new Int32Array(buffer, 0, ids.length);
  const outputLogprobs = new Float32Array(buffer, ids.length * 4, logprobs.length);
  outputIds.set(ids);
  outputLogprobs.set(logprobs);
  return { outputIds, outputLogprobs, outputVersions: VersionRuns.of(versions) };
}

/** An interaction recorded in another form (tests, the journal) stores its answer as `compactAnswer` does. */
function storeAnswerCompactly(interaction: Interaction): void {
  const { outputIds, outputLogprobs, outputVersions } = interaction;
  if (outputIds.buffer === outputLogprobs.buffer && outputVersions instanceof VersionRuns) return;
  Object.assign(interaction, compactAnswer(outputIds, outputLogprobs, outputVersions));
}

function startsWith(ids: readonly number[], part: Int32Array, at: number): boolean {
  for (let i = 0; i < part.length; i++) if (ids[at + i] !== part[i]) return false;
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
