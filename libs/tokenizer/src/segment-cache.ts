import type { HfTokenizer } from './hf-tokenizer.js';

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

  constructor(
    private readonly tokenizer: HfTokenizer,
    markers: readonly string[],
    private readonly maxEntries = 8192,
    private readonly maxPieceLength = 256 * 1024,
  ) {
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
    if (!this.splitter) return this.tokenizer.encode(text, false);
    const parts = text.split(this.splitter);
    const encoded = await Promise.all(parts.map((part) => this.encodePart(part)));
    const ids: number[] = [];
    for (const chunk of encoded) for (const id of chunk) ids.push(id);
    return ids;
  }

  private async encodePart(part: string): Promise<readonly number[]> {
    if (part.length === 0) return [];
    const marker = this.markerIds.get(part);
    if (marker !== undefined) return [marker];
    const hit = this.cache.get(part);
    if (hit) {
      // Refresh its place in the LRU order.
      this.cache.delete(part);
      this.cache.set(part, hit);
      return hit;
    }
    const ids = await this.tokenizer.encode(part, false);
    if (part.length <= this.maxPieceLength) {
      this.cache.set(part, ids);
      if (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
    }
    return ids;
  }
}
