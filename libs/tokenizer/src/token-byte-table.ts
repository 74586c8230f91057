import { isUtf8 } from 'node:buffer';

/** What a token's bytes are as text (`TokenByteTable.textOf`). */
const enum TokenText {
  /** Part of a character, or not UTF-8: only a stream decoder can place it. */
  Partial = 0,
  /** ASCII (or no bytes at all). */
  Ascii = 1,
  /** Whole UTF-8 characters, some of them not ASCII. */
  Utf8 = 2,
}

/** Up to this many ASCII bytes are turned into text by a loop in JS, cheaper than a native call. */
const SHORT_ASCII = 16;

/**
 * Every token's bytes in one buffer, found by id through two offset tables.
 *
 * Why one buffer: a vocabulary of 150k tokens held as 150k `Buffer`s was a quarter of a data
 * proxy's live heap objects (a heap snapshot after long episodes: 152k of 610k), and every major
 * GC marks each of them. In long agent episodes that marking is most of what a late turn costs
 * beyond an early one (docs/BENCHMARKS.md, long-episode). Here the table is four objects.
 */
export class TokenByteTable {
  private constructor(
    /** The bytes of every token, one after the other. */
    private readonly bytes: Buffer,
    /** Token id → where its bytes start in `bytes`. */
    private readonly starts: Int32Array,
    /** Token id → how many bytes it has; -1 for an id with no token. */
    private readonly lengths: Int32Array,
    /** Token id → what its bytes are as text (`TokenText`). */
    private readonly texts: Uint8Array,
  ) {}

  /** The table of `size` ids; `bytesById[id]` (undefined: no such token) is copied, not kept. */
  static from(bytesById: readonly (Uint8Array | undefined)[], size: number = bytesById.length): TokenByteTable {
    const starts = new Int32Array(size);
    const lengths = new Int32Array(size).fill(-1);
    let total = 0;
    for (let id = 0; id < size; id++) total += bytesById[id]?.length ?? 0;
    const bytes = Buffer.alloc(total);
    const texts = new Uint8Array(size).fill(TokenText.Ascii);
    let at = 0;
    for (let id = 0; id < size; id++) {
      const token = bytesById[id];
      if (token === undefined) continue;
      bytes.set(token, at);
      starts[id] = at;
      lengths[id] = token.length;
      at += token.length;
      if (!token.every((byte) => byte < 0x80)) texts[id] = isUtf8(token) ? TokenText.Utf8 : TokenText.Partial;
    }
    return new TokenByteTable(bytes, starts, lengths, texts);
  }

  /** How many ids the table covers (some may have no token). */
  get size(): number {
    return this.lengths.length;
  }

  /** Whether `id` names a token (an integer in range with bytes, possibly none). */
  has(id: number): boolean {
    return this.lengthOf(id) >= 0;
  }

  /** The bytes of token `id` (a view: callers must not write to it); empty for an id with no token. */
  bytesOf(id: number): Buffer {
    const length = this.lengthOf(id);
    if (length <= 0) return this.bytes.subarray(0, 0);
    const start = this.starts[id];
    return this.bytes.subarray(start, start + length);
  }

  /**
   * Token `id` as text when its bytes are whole UTF-8 characters ('' for an id with no token), or
   * null when they are part of a character (or not UTF-8): a stream decoder must join those.
   */
  textOf(id: number): string | null {
    const length = this.lengthOf(id);
    if (length <= 0) return '';
    const kind = this.texts[id] as TokenText;
    if (kind === TokenText.Partial) return null;
    const start = this.starts[id];
    if (kind === TokenText.Ascii && length <= SHORT_ASCII) {
      let text = '';
      for (let i = start; i < start + length; i++) text += String.fromCharCode(this.bytes[i]);
      return text;
    }
    return this.bytes.toString(kind === TokenText.Ascii ? 'latin1' : 'utf8', start, start + length);
  }

  /**
   * The UTF-8 text of `ids` written one after the other (ids with no token and those in `skip`
   * left out). Invalid UTF-8 becomes U+FFFD, as Python's `errors="replace"` does.
   */
  decode(ids: readonly number[], skip?: ReadonlySet<number>): string {
    if (ids.length === 1 && !skip?.has(ids[0])) {
      const text = this.textOf(ids[0]);
      if (text !== null) return text;
      const start = this.starts[ids[0]];
      return this.bytes.toString('utf8', start, start + this.lengths[ids[0]]);
    }
    let total = 0;
    for (const id of ids) if (!skip?.has(id)) total += Math.max(0, this.lengthOf(id));
    const out = Buffer.allocUnsafe(total);
    let at = 0;
    for (const id of ids) {
      if (skip?.has(id)) continue;
      const length = this.lengthOf(id);
      if (length <= 0) continue;
      const start = this.starts[id];
      // Tokens are a few bytes each: a loop costs less than a native copy call per token.
      for (let i = start; i < start + length; i++) out[at++] = this.bytes[i];
    }
    return out.toString('utf8', 0, at);
  }

  /** Token `id`'s byte count, or -1 when `id` is not an integer naming a token. */
  private lengthOf(id: number): number {
    return id >>> 0 === id && id < this.lengths.length ? this.lengths[id] : -1;
  }
}

/**
 * How many continuation bytes a UTF-8 decoder waits for after `bytes`, when it waited for `need`
 * before them; -1 once the bytes are not UTF-8 (a stray continuation byte, a missing one, a byte
 * that never starts a character). While this is 0, the decoder holds nothing back: what comes next
 * may be turned into text on its own. It may answer -1 for bytes a decoder would have settled
 * (an overlong form, say), never 0 for bytes it still holds.
 */
export function utf8Need(need: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length && need >= 0; i++) {
    const byte = bytes[i];
    if (need > 0) need = (byte & 0xc0) === 0x80 ? need - 1 : -1;
    else if (byte < 0x80) need = 0;
    else if (byte >= 0xc2 && byte <= 0xdf) need = 1;
    else if ((byte & 0xf0) === 0xe0) need = 2;
    else if (byte >= 0xf0 && byte <= 0xf4) need = 3;
    else need = -1;
  }
  return need;
}
