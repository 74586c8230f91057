// One unit over 300 lines: what is kept of a rendered conversation, how its stand-in is chosen,
// how a continuation is built from it and how that is checked against a full render must agree
// on the same kept state, message for message and token for token.
import { SizedLruMap } from '@app/common/lite';
import type { SegmentEncodingCache } from '@app/tokenizer';
import type { PromptIds } from '../inference/engine-backend.js';
import {
  appendIdsJson,
  idsJson,
  idsJsonBytes,
  notePromptIdsJson,
  withIdsAfter,
  type IdsJson,
} from '../inference/prompt-ids-json.js';

/** What a template renders besides the messages: `chat_template_kwargs` and tools. */
export interface TemplateInputs {
  tools: unknown[] | null;
  kwargs: Record<string, unknown>;
}

/** The template over `messages` (with the generation prompt or without), as a full render does. */
export type MessagesRenderer = (messages: unknown[], inputs: TemplateInputs, addGenerationPrompt: boolean) => string;

/** Where a prompt continues one the template rendered before. */
export interface RenderContinuation {
  /**
   * The key the previous prompt was kept under (its interaction id), whose messages the new
   * prompt's begin with, compared equal by the caller (parent matching); null: none.
   */
  from: string | null;
  /** The key to keep this prompt under, for the prompts that continue it. */
  as: string;
}

/** A kept prompt whose continuation has not been asked for yet: its messages only. */
interface PendingPrefix {
  rendered: null;
  messages: unknown[];
  inputsKey: string;
}

/** A kept prompt, rendered without the generation prompt and encoded, for its continuations. */
interface RenderedPrefix {
  rendered: true;
  messageCount: number;
  /** The first message of each kind (role, and whether it calls tools) and where it is in M. */
  firsts: Map<string, { at: number; message: unknown }>;
  /** Index of M's last user message (0 when it has none), and M's messages from there on. */
  lastUser: number;
  recent: unknown[];
  inputsKey: string;
  /**
   * The render's ids up to and including its last special token: the first `idCount` of `ids` (a
   * run the conversation's kept prefixes share, each turn's new ids appended: none copies the 15k
   * before it), and their JSON.
   */
  ids: KeptIdRun;
  idCount: number;
  idsJson: IdsJson;
  /**
   * How many of those ids are known to begin the prompt returned with this prefix (the one kept
   * under the same key): a continuation's prompt begins with them too (keptPrefixLength).
   */
  inPrompt: number;
  /** The render's text after that special token. */
  tail: string;
}

type KeptPrefix = PendingPrefix | RenderedPrefix;

/**
 * A prompt's ids as the chunks they were built from (concatenated, they are the ids): a caller that
 * needs only the end of a 15k-id prompt does not join it (`concat` prompts).
 */
export interface IdChunks {
  readonly chunks: readonly PromptIds[];
  readonly length: number;
}

/**
 * For a prompt built from a kept one (its ids, or its `IdChunks`): the key it continued (`from`)
 * and how many of its first ids are known, by construction, to be those of the prompt returned for
 * that key.
 */
const sharedWithKept = new WeakMap<object, { from: string; length: number }>();

/**
 * How many of the first ids of `ids` (an array or `IdChunks` the continuations returned) are, by
 * construction, those of the prompt returned for the key `from` (0: nothing known). Callers skip
 * comparing them.
 */
export function keptPrefixLength(ids: PromptIds | IdChunks, from: string): number {
  const entry = sharedWithKept.get(ids);
  return entry !== undefined && entry.from === from ? Math.min(entry.length, ids.length) : 0;
}

/** The ids of `parts` from index `start` on, in one new array. */
export function idsFrom(parts: IdChunks, start: number): number[] {
  const out = new Array<number>(Math.max(0, parts.length - start));
  let at = 0;
  for (const chunk of parts.chunks) {
    const from = Math.max(0, start - at);
    for (let i = from; i < chunk.length; i++) out[at + i - start] = chunk[i];
    at += chunk.length;
  }
  return out;
}

/**
 * Incremental templating: a conversation's next prompt rendered from what is new in it.
 *
 * A prompt that continues a kept one (its messages begin with that one's messages M and go on
 * with the new ones N) is `render(M) + D`, where `render(M)` (without generation prompt) is
 * kept, encoded up to its last special token, and D is what the template writes for N after a
 * short stand-in S of M: D = render(S + N) minus render(S). S holds the messages a template's
 * state may carry over into N: M's first message, the first message of each kind (templates
 * with once-only flags, DeepSeek V3's first tool output), and from M's last user message on
 * (all of them when N holds a new user message, else that one and M's last two). Only S + N is
 * rendered and only the kept tail plus D is encoded, so a turn costs what is new, not the whole
 * conversation.
 *
 * That holds only where the template is prefix-stable for that kind of extension: rendering M
 * alone gives a prefix of rendering M + N, and N renders the same after S as after M (Qwen3's
 * template, for one, keeps or drops earlier reasoning depending on where the last user message
 * is). It is checked, not assumed: per shape of the extension (the inputs, the roles, fields and
 * kinds of content of S and N), the first such turn is also rendered in full and its ids
 * compared; a shape that differs is remembered as unstable and always rendered in full. Every
 * turn also checks that render(S) is a prefix of both renders of S + N.
 */
export class PromptContinuations {
  private readonly kept: SizedLruMap<string, KeptPrefix>;
  private readonly verdicts = new Map<string, boolean>();
  /** Prompts rendered from their new messages, in full, and shapes found unstable (for tests and diagnostics). */
  readonly counts = { incremental: 0, full: 0, unstable: 0 };

  constructor(
    private readonly render: MessagesRenderer,
    private readonly pieces: SegmentEncodingCache,
    /** Bound on what is kept, in bytes (sizeOf): about 400 conversations of 15k tokens. */
    maxKeptSize = 128 * 1024 * 1024,
    private readonly maxVerdicts = 4096,
  ) {
    this.kept = new SizedLruMap(maxKeptSize, sizeOf);
  }

  /**
   * The prompt's ids, exactly as `fullEncode` would give them; `fullEncode` (render the whole
   * conversation and encode it) is what runs where the prompt cannot be built from a kept one.
   */
  async encode(
    messages: unknown[],
    inputs: TemplateInputs,
    continuation: RenderContinuation,
    fullEncode: () => Promise<number[]>,
  ): Promise<PromptIds> {
    const built = await this.build(messages, inputs, continuation, fullEncode);
    if (built.idsJson === null) return built.parts.chunks[0];
    // The one copy of the kept ids a turn makes: the prompt the pipeline records and sends.
    const ids = joinIds(built.parts.chunks, built.parts.length);
    notePromptIdsJson(ids, built.idsJson);
    const shared = sharedWithKept.get(built.parts);
    if (shared !== undefined) sharedWithKept.set(ids, shared);
    return ids;
  }

  /** `encode`'s ids, as their chunks (not joined; no JSON noted for them). */
  async encodeParts(
    messages: unknown[],
    inputs: TemplateInputs,
    continuation: RenderContinuation,
    fullEncode: () => Promise<number[]>,
  ): Promise<IdChunks> {
    return (await this.build(messages, inputs, continuation, fullEncode)).parts;
  }

  /** The prompt's chunks, and their JSON where they continue a kept prompt (null: encoded in full, one chunk). */
  private async build(
    messages: unknown[],
    inputs: TemplateInputs,
    continuation: RenderContinuation,
    fullEncode: () => Promise<number[]>,
  ): Promise<{ parts: IdChunks; idsJson: IdsJson | null }> {
    const inputsKey = JSON.stringify([inputs.kwargs, inputs.tools && inputs.tools.length > 0 ? inputs.tools : null]);
    let previous = continuation.from === null ? undefined : this.kept.get(continuation.from);
    if (previous && (previous.inputsKey !== inputsKey || previousLength(previous) >= messages.length))
      previous = undefined;
    if (previous && previous.rendered === null) {
      try {
        previous = await this.renderPrefix(previous.messages, inputs, inputsKey);
        this.kept.set(continuation.from!, previous);
      } catch {
        // The template refuses the earlier messages as history: this prompt is rendered in full.
        previous = undefined;
      }
    }
    if (previous) {
      const added = messages.slice(previous.messageCount);
      const standIn = this.standIn(previous, added);
      const shape = `${inputsKey}\u0000${standIn.shape}\u0000${added.map(messageShape).join('|')}`;
      if (this.verdicts.get(shape) !== false) {
        let step: Awaited<ReturnType<PromptContinuations['extend']>> | undefined;
        try {
          step = await this.extend(previous, added, standIn.messages, inputs);
        } catch {
          // The template refuses these messages: the full render says so (the caller's 400).
          step = undefined;
        }
        if (step !== undefined) {
          let stable = step !== null;
          if (step && !this.verdicts.has(shape)) {
            stable = await this.matchesFull(step, messages, inputs, inputsKey, fullEncode);
            this.verdict(shape, stable);
          } else if (!step) this.verdict(shape, false);
          if (step && stable) {
            this.counts.incremental++;
            // A turn is continued once, as a rule: its child holds what the next turn needs.
            this.kept.delete(continuation.from!);
            this.kept.set(continuation.as, step.next);
            if (previous.inPrompt > 0)
              sharedWithKept.set(step.parts, { from: continuation.from!, length: previous.inPrompt });
            return { parts: step.parts, idsJson: step.idsJson };
          }
        }
      }
    }
    this.counts.full++;
    const ids = await fullEncode();
    this.kept.set(continuation.as, { rendered: null, messages, inputsKey });
    return { parts: { chunks: [ids], length: ids.length }, idsJson: null };
  }

  /** `render(M)` of a pending prefix, encoded: the start of a chain of incremental prompts. */
  private async renderPrefix(messages: unknown[], inputs: TemplateInputs, inputsKey: string): Promise<RenderedPrefix> {
    const text = this.render(messages, inputs, false);
    const encoded = await this.pieces.encodeWithPrefix(text);
    const ids = encoded.prefix ? encoded.prefix.ids : [];
    const firsts = new Map<string, { at: number; message: unknown }>();
    noteFirsts(firsts, messages, 0);
    const lastUser = Math.max(0, lastUserIndex(messages));
    return {
      rendered: true,
      messageCount: messages.length,
      firsts,
      lastUser,
      recent: messages.slice(lastUser),
      inputsKey,
      ids: KeptIdRun.of(ids),
      idCount: ids.length,
      idsJson: idsJson(ids),
      // The prompt kept with it was rendered in full: what the two share is not known.
      inPrompt: 0,
      tail: encoded.prefix ? text.slice(encoded.prefix.text.length) : text,
    };
  }

  /**
   * The stand-in of M for `added`: M's first message, the first of each kind, and from its last
   * user message on: all of them when `added` holds a user message (templates such as Qwen3's
   * render what follows the last user message differently once another comes), else that user
   * message and M's last two. With the shape of the extension (`…` where it skips messages).
   */
  private standIn(previous: RenderedPrefix, added: unknown[]): { messages: unknown[]; shape: string } {
    const picked = new Map<number, unknown>();
    for (const { at, message } of previous.firsts.values()) picked.set(at, message);
    const recent = previous.recent;
    const newQuery = lastUserIndex(added) >= 0;
    for (let i = 0; i < recent.length; i++)
      if (newQuery || i === 0 || i >= recent.length - 2) picked.set(previous.lastUser + i, recent[i]);
    const indexes = [...picked.keys()].sort((a, b) => a - b);
    const messages = indexes.map((i) => picked.get(i));
    const shape = messages
      .map((m, at) => (at > 0 && indexes[at] > indexes[at - 1] + 1 ? '…' : '') + messageShape(m))
      .join('|');
    return { messages, shape };
  }

  /** The prompt after `previous` with `added`, and the prefix to keep for its own continuations; null if the stand-in is not prefix-stable. */
  private async extend(
    previous: RenderedPrefix,
    added: unknown[],
    standIn: unknown[],
    inputs: TemplateInputs,
  ): Promise<{ parts: IdChunks; idsJson: IdsJson; next: RenderedPrefix } | null> {
    const extended = [...standIn, ...added];
    const base = this.render(standIn, inputs, false);
    const prompt = this.render(extended, inputs, true);
    const history = this.render(extended, inputs, false);
    if (!prompt.startsWith(base) || !history.startsWith(base)) return null;
    const promptRest = await this.pieces.encodeWithPrefix(previous.tail + prompt.slice(base.length));
    const parts: IdChunks = {
      chunks: [previous.ids.first(previous.idCount), promptRest.ids],
      length: previous.idCount + promptRest.ids.length,
    };
    const historyText = previous.tail + history.slice(base.length);
    const historyRest = await this.pieces.encodeWithPrefix(historyText);
    const prefix = historyRest.prefix;
    const keptIds = prefix ? prefix.ids : [];
    // The two renders' new ids agree up to where the generation prompt begins (compared: only what is new).
    const shared = sharedLength(promptRest.ids, keptIds);
    // The kept prefix's JSON grows the previous one's run in place; the prompt's is that, then its
    // own last ids (the generation prompt), unless it parts from the kept ids before their end.
    const keptJson = appendIdsJson(previous.idsJson, keptIds);
    const idsJson =
      shared === keptIds.length
        ? withIdsAfter(keptJson, promptRest.ids.slice(shared))
        : appendIdsJson(previous.idsJson, promptRest.ids);
    const firsts = new Map(previous.firsts);
    noteFirsts(firsts, added, previous.messageCount);
    const lastUser = lastUserIndex(added);
    const next: RenderedPrefix = {
      rendered: true,
      messageCount: previous.messageCount + added.length,
      firsts,
      lastUser: lastUser >= 0 ? previous.messageCount + lastUser : previous.lastUser,
      recent: lastUser >= 0 ? added.slice(lastUser) : previous.recent.concat(added),
      inputsKey: previous.inputsKey,
      ids: previous.ids.append(previous.idCount, keptIds),
      idCount: previous.idCount + keptIds.length,
      idsJson: keptJson,
      // The prompt (`parts`) begins with the previous chunks, and so do these, then `shared` more.
      inPrompt: previous.idCount + shared,
      tail: prefix ? historyText.slice(prefix.text.length) : historyText,
    };
    return { parts, idsJson, next };
  }

  /**
   * The first turn of a shape: the incremental prompt, and the kept prefix the next turn builds
   * on, against the full renders' ids.
   */
  private async matchesFull(
    step: { parts: IdChunks; next: RenderedPrefix },
    messages: unknown[],
    inputs: TemplateInputs,
    inputsKey: string,
    fullEncode: () => Promise<number[]>,
  ): Promise<boolean> {
    if (!sameIds(joinIds(step.parts.chunks, step.parts.length), await fullEncode())) return false;
    const full = await this.renderPrefix(messages, inputs, inputsKey);
    return (
      sameIds(full.ids.first(full.idCount), step.next.ids.first(step.next.idCount)) && full.tail === step.next.tail
    );
  }

  private verdict(shape: string, stable: boolean): void {
    if (!stable) this.counts.unstable++;
    if (this.verdicts.size >= this.maxVerdicts) this.verdicts.clear();
    this.verdicts.set(shape, stable);
  }
}

function previousLength(prefix: KeptPrefix): number {
  return prefix.rendered === null ? prefix.messages.length : prefix.messageCount;
}

/** About the bytes a kept prompt holds beyond the messages (its ids' run, 8 per array slot, 2 per character). */
function sizeOf(prefix: KeptPrefix): number {
  if (prefix.rendered === null) return 8 * prefix.messages.length;
  return prefix.ids.bytes + 8 * prefix.recent.length + idsJsonBytes(prefix.idsJson) + 2 * prefix.tail.length;
}

/**
 * The kept ids of a conversation's chain of prefixes, append-only: a prefix is the run's first
 * `count` ids, and the next turn's kept ids are written after them in place where that prefix ends
 * what was written (the conversation's next turn); a fork from an earlier turn copies its prefix
 * into a run of its own. Ids once written never change, so a prefix's `first` view stays its ids. A
 * turn's prompt copies them with one memcpy (`joinIds`).
 */
export class KeptIdRun {
  private constructor(
    private data: Int32Array,
    private used: number,
  ) {}

  /** A run of `ids`, with room for about as many again. */
  static of(ids: ArrayLike<number>): KeptIdRun {
    const data = new Int32Array(Math.max(1024, 2 * ids.length));
    data.set(ids);
    return new KeptIdRun(data, ids.length);
  }

  /** Bytes of the buffer the run writes in now (room to grow included). */
  get bytes(): number {
    return this.data.byteLength;
  }

  /** The first `count` ids (a view; the buffer it is in is never written there again). */
  first(count: number): Int32Array {
    return this.data.subarray(0, count);
  }

  /** The run holding this run's first `count` ids and then `added`: this one, grown, where `count` ends it. */
  append(count: number, added: readonly number[]): KeptIdRun {
    if (added.length === 0) return this;
    const needed = count + added.length;
    if (count !== this.used) {
      const fork = new KeptIdRun(new Int32Array(Math.max(1024, 2 * needed)), count);
      fork.data.set(this.first(count));
      return fork.append(count, added);
    }
    if (needed > this.data.length) {
      // A bigger buffer; earlier views keep the old one, whose ids do not change.
      const grown = new Int32Array(2 * needed);
      grown.set(this.first(count));
      this.data = grown;
    }
    this.data.set(added, count);
    this.used = needed;
    return this;
  }
}

/**
 * The `count` ids of `chunks`, in one new `Int32Array`: a memcpy for the kept ids (a view of their
 * run), a conversion for the few new ones.
 */
function joinIds(chunks: readonly PromptIds[], count: number): Int32Array {
  const ids = new Int32Array(count);
  let at = 0;
  for (const chunk of chunks) {
    ids.set(chunk, at);
    at += chunk.length;
  }
  return ids;
}

/** Notes the first message of each kind in `messages` (whose first is at `offset` in M). */
function noteFirsts(firsts: Map<string, { at: number; message: unknown }>, messages: unknown[], offset: number): void {
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as { role?: unknown; tool_calls?: unknown } | null;
    const kind = `${String(message?.role)}${Array.isArray(message?.tool_calls) ? '+calls' : ''}`;
    if (!firsts.has(kind)) firsts.set(kind, { at: offset + i, message });
  }
}

function lastUserIndex(messages: unknown[]): number {
  for (let i = messages.length - 1; i >= 0; i--)
    if ((messages[i] as { role?: unknown } | null)?.role === 'user') return i;
  return -1;
}

/**
 * What a template may branch on in a message, without its text: role, fields, the kind of each
 * field, and the marks templates look for in content (a think block, a leading tag).
 */
function messageShape(message: unknown): string {
  if (typeof message !== 'object' || message === null) return typeof message;
  const record = message as Record<string, unknown>;
  let shape = String(record.role);
  for (const key of Object.keys(record).sort()) {
    if (key === 'role') continue;
    const value = record[key];
    shape += `,${key}:`;
    if (typeof value === 'string') {
      shape += value.length === 0 ? 'e' : 's';
      if (value.includes('</think>')) shape += 't';
      if (value.startsWith('<')) shape += '<';
    } else if (Array.isArray(value)) shape += `a${value.length}`;
    else shape += value === null ? 'n' : typeof value;
  }
  return shape;
}

/** How many first ids `a` and `b` have in common. */
function sharedLength(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const limit = Math.min(a.length, b.length);
  let n = 0;
  while (n < limit && a[n] === b[n]) n++;
  return n;
}

function sameIds(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  return a.length === b.length && sharedLength(a, b) === a.length;
}
