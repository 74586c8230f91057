import { SizedLruMap } from '@app/common/lite';
import type { HfTokenizer } from './hf-tokenizer.js';

/** A prompt's text up to and including its last special token, and that text's ids. */
export interface ContinuationPrefix {
  text: string;
  ids: number[];
}

/**
 * Encodes chat prompts piece by piece with a cache of the pieces.
 *
 * Hugging Face tokenizers split the input at added tokens (`<|im_start|>`, `<|im_end|>`, ...)
 * before anything else runs, so the text between two added tokens is tokenized independently of
 * the rest: encode(whole) equals the concatenation of encode(piece) with the added tokens' ids in
 * between. Chat prompts repeat most of their pieces (system prompt, tool list, every earlier turn
 * of the conversation), so each turn only pays for the pieces it has not seen.
 */
export class SegmentEncodingCache {
  private readonly cache = new Map<string, number[]>();
  private readonly splitter: RegExp | null;
  private readonly markerIds = new Map<string, number>();
  /** Per conversation, its last prompt up to its last special token, with those ids (least recently used first). */
  private readonly conversations: SizedLruMap<string, ContinuationPrefix>;

  constructor(
    private readonly tokenizer: HfTokenizer,
    markers: readonly string[],
    private readonly maxEntries = 8192,
    private readonly maxPieceLength = 256 * 1024,
    maxConversationChars = 4 * 1024 * 1024,
  ) {
    this.conversations = new SizedLruMap(maxConversationChars, (prefix) => prefix.text.length);
    for (const marker of markers) {
      const id = tokenizer.tokenToId(marker);
      if (id !== null) this.markerIds.set(marker, id);
    }
    const escaped = [...this.markerIds.keys()]
      .sort((a, b) => b.length - a.length)
      .map((m) => m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.splitter = escaped.length > 0 ? new RegExp(`(${escaped.join('|')})`) : null;
  }

  get size(): number {
    return this.cache.size;
  }

  async encode(text: string): Promise<number[]> {
    return (await this.encodeWithPrefix(text)).ids;
  }

  /**
   * `encode(text)`, for the next prompt of a conversation (`conversation`: any stable key, e.g.
   * the session): when `text` begins with everything the conversation's previous prompt held up
   * to and including its last special token, those ids are taken from the previous answer and
   * only the rest of `text` is split and looked up. Tokenization restarts at every special token,
   * so this is exactly `encode(text)`; a prompt that does not begin so (a template that renders
   * earlier turns differently, an edited history) is encoded whole. Remembers at most
   * `maxConversationChars` characters of prompts, least recently used first out.
   */
  async encodeContinuing(text: string, conversation: string): Promise<number[]> {
    const previous = this.conversations.get(conversation);
    let result: { ids: number[]; prefix: ContinuationPrefix | null };
    if (previous && text.startsWith(previous.text)) {
      const rest = await this.encodeWithPrefix(text.slice(previous.text.length));
      // One copy: pushing onto a copy of 15k ids regrows it (several times slower).
      const ids = previous.ids.concat(rest.ids);
      const prefix = rest.prefix
        ? {
            text: text.slice(0, previous.text.length + rest.prefix.text.length),
            ids: ids.slice(0, previous.ids.length + rest.prefix.ids.length),
          }
        : previous;
      result = { ids, prefix };
    } else {
      result = await this.encodeWithPrefix(text);
    }
    this.remember(conversation, result.prefix);
    return result.ids;
  }

  /**
   * The ids of `text`, and its longest prefix that ends with a special token (with that prefix's
   * ids): what follows that prefix tokenizes the same whatever comes after it.
   */
  async encodeWithPrefix(text: string): Promise<{ ids: number[]; prefix: ContinuationPrefix | null }> {
    if (!this.splitter) return { ids: await this.tokenizer.encode(text, false), prefix: null };
    const parts = text.split(this.splitter);
    // The built-in encoder is synchronous: no promise per piece where the tokenizer has it.
    const encoded = this.tokenizer.canEncodeSync
      ? parts.map((part) => this.cachedPart(part) ?? this.rememberPiece(part, this.tokenizer.encodeSync(part, false)))
      : await Promise.all(
          parts.map(
            async (part) => this.cachedPart(part) ?? this.rememberPiece(part, await this.tokenizer.encode(part, false)),
          ),
        );
    const ids: number[] = [];
    let prefixChars = 0;
    let prefixIds = 0;
    let chars = 0;
    for (let i = 0; i < encoded.length; i++) {
      for (const id of encoded[i]) ids.push(id);
      chars += parts[i].length;
      // `split` with a capturing group puts the markers at odd indexes.
      if (i % 2 === 1) {
        prefixChars = chars;
        prefixIds = ids.length;
      }
    }
    const prefix = prefixChars > 0 ? { text: text.slice(0, prefixChars), ids: ids.slice(0, prefixIds) } : null;
    return { ids, prefix };
  }

  private remember(conversation: string, prefix: ContinuationPrefix | null): void {
    if (prefix) this.conversations.set(conversation, prefix);
    else this.conversations.delete(conversation);
  }

  /** A piece's ids when they need no encoding: empty, a marker, or in the cache. */
  private cachedPart(part: string): readonly number[] | undefined {
    if (part.length === 0) return [];
    const marker = this.markerIds.get(part);
    if (marker !== undefined) return [marker];
    const hit = this.cache.get(part);
    if (hit) {
      // Refresh its place in the LRU order.
      this.cache.delete(part);
      this.cache.set(part, hit);
    }
    return hit;
  }

  private rememberPiece(part: string, ids: number[]): readonly number[] {
    if (part.length <= this.maxPieceLength) {
      this.cache.set(part, ids);
      if (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
    }
    return ids;
  }
}
