/*
 * One unit on purpose (over 300 lines): a synchronous encoder for byte-level BPE `tokenizer.json`
 * files, whose parts (added-token split, normalizer, pre-tokenizer, byte-level BPE, post-processor)
 * only make sense together and must agree with the Hugging Face `tokenizers` pipeline step by step.
 */
import { BYTE_TO_UNICODE } from './byte-level.js';
import { literalPattern, translatePretokenizerPattern } from './pretokenizer-regex.js';

/** The parts of `tokenizer.json` the encoder reads (everything else it checks is absent). */
interface TokenizerJson {
  added_tokens?: {
    id: number;
    content: string;
    single_word?: boolean;
    lstrip?: boolean;
    rstrip?: boolean;
    normalized?: boolean;
  }[];
  normalizer?: JsonStep | null;
  pre_tokenizer?: JsonStep | null;
  post_processor?: JsonStep | null;
  truncation?: unknown;
  padding?: unknown;
  model?: {
    type?: string;
    vocab?: Record<string, number>;
    merges?: (string | [string, string])[];
    dropout?: number | null;
    unk_token?: string | null;
    continuing_subword_prefix?: string | null;
    end_of_word_suffix?: string | null;
    byte_fallback?: boolean;
    ignore_merges?: boolean;
  };
}

/** A normalizer, pre-tokenizer or post-processor entry: its `type` and its own fields. */
type JsonStep = { type?: string } & Record<string, unknown>;

/** One split of the pre-tokenizer: its pattern, and whether the matches are dropped (`Removed`). */
interface SplitStep {
  /** The pattern anchored where the last match ended (`y`): the usual case, with no match array to allocate. */
  sticky: RegExp;
  /** The pattern searching forward (`g`), for the rare stretch no match starts at (a gap). */
  search: RegExp;
  removeMatches: boolean;
}

function splitStep(source: string, removeMatches: boolean): SplitStep {
  return { sticky: new RegExp(source, 'uy'), search: new RegExp(source, 'gu'), removeMatches };
}

/** Whether `source` can match the empty string (a split that would never advance). */
function matchesEmpty(source: string): boolean {
  return ['', 'a', ' ', '0', '\n', '.'].some((text) => new RegExp(source, 'uy').exec(text)?.[0] === '');
}

/** The pre-tokenizer ByteLevel splits with when `use_regex` is on (GPT-2's pattern). */
const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/** Words longer than this (in UTF-16 units) are not cached: they rarely come back and cost memory. */
const MAX_CACHED_WORD = 1024;
/** The word cache is cleared when its words' lengths add up to this many UTF-16 units (≈ 4 MB). */
const MAX_CACHED_CHARS = 2 * 1024 * 1024;
/** Words of up to this many bytes merge by a scan per merge; longer ones use a heap. */
const SHORT_WORD_BYTES = 64;
/** A UTF-16 surrogate without its other half (no `u` flag: it must see code units). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/**
 * Scripts whose characters compose under NFC since Unicode 16 (Tulu-Tigalari, Gurung Khema, Kirat
 * Rai). Node's ICU normalizes with Unicode 16+ tables; the native binding's tables predate them and
 * leave these characters as they are (to them they are unassigned: starters that compose with
 * nothing). Text is normalized around them, so both agree.
 */
const NEWER_COMPOSITIONS = /([\u{11380}-\u{113FF}\u{16100}-\u{1613F}\u{16D40}-\u{16D7F}]+)/u;

/** NFC as the native binding's normalizer computes it (see {@link NEWER_COMPOSITIONS}). */
function nfcAsNative(text: string): string {
  if (!NEWER_COMPOSITIONS.test(text)) return text.normalize('NFC');
  // `split` with a capturing group puts the runs of those characters at odd indexes.
  return text
    .split(NEWER_COMPOSITIONS)
    .map((part, i) => (i % 2 === 1 ? part : part.normalize('NFC')))
    .join('');
}

/** The rank of a pair that does not merge, above every real rank. */
const NO_MERGE = 0x7fffffff;
/** Heap keys are rank * POSITION_RANGE + position. */
const POSITION_RANGE = 2 ** 26;

/**
 * Pair (left id, right id) → merge rank, as an open-addressing table in typed arrays: a JS Map
 * keyed by a packed pair would hold several hundred thousand heap-number keys and hash them slower.
 */
class MergeTable {
  private readonly mask: number;
  private readonly shift: number;
  /**
   * Slot i is entries[4i .. 4i+3]: left id (-1 when empty), right id, rank, unused. One array, so
   * a probe reads one cache line: the table is several MB and most lookups miss the cache.
   */
  private readonly entries: Int32Array;

  constructor(count: number) {
    let bits = 10;
    while (2 ** bits < count * 2) bits++;
    this.mask = 2 ** bits - 1;
    this.shift = 32 - bits;
    this.entries = new Int32Array(4 * 2 ** bits).fill(-1);
  }

  private slot(left: number, right: number): number {
    // Multiplicative hashing: the top bits of the product depend on every bit of the pair.
    const h = Math.imul(left, 0x9e3779b1) ^ right;
    return Math.imul(h ^ (h >>> 15), 0x85ebca6b) >>> this.shift;
  }

  /** Sets the rank of a pair; a later merge of the same pair replaces the earlier one, as in `tokenizers`. */
  set(left: number, right: number, rank: number): void {
    const entries = this.entries;
    let i = this.slot(left, right);
    while (entries[4 * i] !== -1 && (entries[4 * i] !== left || entries[4 * i + 1] !== right)) i = (i + 1) & this.mask;
    entries[4 * i] = left;
    entries[4 * i + 1] = right;
    entries[4 * i + 2] = rank;
  }

  /** The rank of merging `left` and `right`, or -1 when they do not merge. */
  rank(left: number, right: number): number {
    const entries = this.entries;
    let i = this.slot(left, right);
    for (;;) {
      const l = entries[4 * i];
      if (l === -1) return -1;
      if (l === left && entries[4 * i + 1] === right) return entries[4 * i + 2];
      i = (i + 1) & this.mask;
    }
  }
}

/** An encoder, or the reason this `tokenizer.json` needs the native one. */
export type ByteLevelBpePlan = { encoder: ByteLevelBpeEncoder } | { unsupported: string };

/** `text` with every literal added token alternated, longest first (so the leftmost match is the longest one). */
function addedTokenPattern(contents: readonly string[]): RegExp | null {
  if (contents.length === 0) return null;
  const sorted = [...contents].sort((a, b) => b.length - a.length);
  return new RegExp(sorted.map(literalPattern).join('|'), 'gu');
}

/** The normalizer as a function, or why it is not one this encoder implements (only NFC, alone or in a Sequence). */
function normalizerOf(step: JsonStep | null | undefined): { normalize: boolean } | { unsupported: string } {
  if (step === null || step === undefined) return { normalize: false };
  if (step.type === 'NFC') return { normalize: true };
  if (step.type === 'Sequence' && Array.isArray(step.normalizers)) {
    let normalize = false;
    for (const inner of step.normalizers as JsonStep[]) {
      const one = normalizerOf(inner);
      if ('unsupported' in one) return one;
      normalize ||= one.normalize;
    }
    return { normalize };
  }
  return { unsupported: `normalizer ${step.type ?? 'without a type'}` };
}

/** The pre-tokenizer's splits (ByteLevel last, doing only the byte mapping), or why not. */
function splitsOf(step: JsonStep | null | undefined): { splits: SplitStep[] } | { unsupported: string } {
  if (!step) return { unsupported: 'no pre-tokenizer (not byte-level)' };
  const steps = step.type === 'Sequence' ? ((step.pretokenizers as JsonStep[] | undefined) ?? []) : [step];
  const splits: SplitStep[] = [];
  let byteLevel = false;
  for (const [index, one] of steps.entries()) {
    if (byteLevel) return { unsupported: `pre-tokenizer ${one.type ?? '?'} after ByteLevel` };
    if (one.type === 'ByteLevel') {
      if (one.add_prefix_space === true) return { unsupported: 'ByteLevel add_prefix_space' };
      if (one.use_regex !== false) splits.push(splitStep(translate(GPT2_PATTERN), false));
      byteLevel = true;
      if (index !== steps.length - 1) return { unsupported: 'ByteLevel is not the last pre-tokenizer' };
    } else if (one.type === 'Split') {
      const pattern = one.pattern as { Regex?: string; String?: string } | undefined;
      if (one.invert === true) return { unsupported: 'inverted Split' };
      if (one.behavior !== 'Isolated' && one.behavior !== 'Removed')
        return { unsupported: `Split behavior ${String(one.behavior)}` };
      let source: string;
      if (typeof pattern?.Regex === 'string') {
        const translated = translatePretokenizerPattern(pattern.Regex);
        if ('unsupported' in translated) return { unsupported: `Split pattern: ${translated.unsupported}` };
        source = translated.source;
      } else if (typeof pattern?.String === 'string' && pattern.String.length > 0) {
        source = literalPattern(pattern.String);
      } else return { unsupported: 'Split without a pattern' };
      if (matchesEmpty(source)) return { unsupported: 'Split pattern matches the empty string' };
      splits.push(splitStep(source, one.behavior === 'Removed'));
    } else if (one.type === 'Digits') {
      // `char::is_numeric`: the N categories; runs of them unless each digit is its own piece.
      splits.push(splitStep(one.individual_digits === true ? '\\p{N}' : '\\p{N}+', false));
    } else return { unsupported: `pre-tokenizer ${one.type ?? 'without a type'}` };
  }
  if (!byteLevel) return { unsupported: 'no ByteLevel pre-tokenizer (not byte-level)' };
  return { splits };
}

function translate(pattern: string): string {
  const translated = translatePretokenizerPattern(pattern);
  if ('unsupported' in translated) throw new Error(`built-in pattern: ${translated.unsupported}`);
  return translated.source;
}

/** Ids added before and after the text when special tokens are added, or why they cannot be told. */
function addedIdsOf(
  step: JsonStep | null | undefined,
): { prefix: number[]; suffix: number[] } | { unsupported: string } {
  const result = { prefix: [] as number[], suffix: [] as number[] };
  if (!step) return result;
  const steps = step.type === 'Sequence' ? ((step.processors as JsonStep[] | undefined) ?? []) : [step];
  for (const one of steps) {
    // ByteLevel post-processing changes offsets only.
    if (one.type === 'ByteLevel') continue;
    if (one.type !== 'TemplateProcessing') return { unsupported: `post-processor ${one.type ?? 'without a type'}` };
    const specials = (one.special_tokens ?? {}) as Record<string, { ids?: number[] }>;
    let seenSequence = false;
    for (const piece of (one.single ?? []) as { SpecialToken?: { id: string }; Sequence?: { id: string } }[]) {
      if (piece.Sequence) {
        if (piece.Sequence.id !== 'A' || seenSequence) return { unsupported: 'a template with more than sequence A' };
        seenSequence = true;
      } else if (piece.SpecialToken) {
        const ids = specials[piece.SpecialToken.id]?.ids;
        if (!ids) return { unsupported: `template token ${piece.SpecialToken.id} without ids` };
        (seenSequence ? result.suffix : result.prefix).push(...ids);
      } else return { unsupported: 'a template piece that is neither a token nor a sequence' };
    }
    if (!seenSequence) return { unsupported: 'a template without sequence A' };
  }
  return result;
}

/**
 * Encodes text to token ids exactly as the Hugging Face `tokenizers` pipeline does for a byte-level
 * BPE `tokenizer.json` (Qwen 2/2.5/3, Llama 3.x, DeepSeek V3, gpt-oss), synchronously:
 * 1. the added tokens the raw text contains are split out (leftmost, longest first), then each
 *    piece between them is normalized (NFC where the file says so) and split again at the added
 *    tokens marked `normalized`;
 * 2. each remaining piece goes through the pre-tokenizer's splits in order;
 * 3. each resulting word is mapped to its UTF-8 bytes' symbols and merged by BPE rank (lowest
 *    first, leftmost among equals), or taken whole when `ignore_merges` is set and the word is in
 *    the vocabulary. Words are cached (cleared when full), so common words cost one Map lookup.
 *
 * Use {@link ByteLevelBpeEncoder.fromTokenizerJson}: it refuses anything it does not implement
 * (other normalizers, pre-tokenizers, model types, added-token flags, truncation, padding).
 */
export class ByteLevelBpeEncoder {
  private readonly words = new Map<string, number | number[]>();
  private cachedChars = 0;

  private constructor(
    private readonly rawAdded: RegExp | null,
    private readonly normalizedAdded: RegExp | null,
    private readonly addedIds: ReadonlyMap<string, number>,
    private readonly nfc: boolean,
    private readonly splits: readonly SplitStep[],
    private readonly byteIds: Int32Array,
    private readonly merges: MergeTable,
    private readonly mergedIds: Int32Array,
    private readonly vocab: ReadonlyMap<string, number> | null,
    private readonly prefixIds: readonly number[],
    private readonly suffixIds: readonly number[],
    private readonly maxCachedWords: number,
    /** Characters the native regex engine calls unassigned (see `nativeUnassignedClass`), or null. */
    private readonly unassigned: RegExp | null,
  ) {
    this.unassignedAll = unassigned === null ? null : new RegExp(unassigned.source, 'gu');
  }

  private readonly unassignedAll: RegExp | null;

  /** The encoder for a parsed `tokenizer.json`, or why it needs the native tokenizer. */
  static fromTokenizerJson(
    json: unknown,
    {
      maxCachedWords = 65536,
      unassignedClass = null,
    }: { maxCachedWords?: number; unassignedClass?: string | null } = {},
  ): ByteLevelBpePlan {
    const file = json as TokenizerJson;
    const model = file.model;
    if (!model || (model.type !== undefined && model.type !== 'BPE'))
      return { unsupported: `model ${model?.type ?? 'missing'}` };
    if (!model.vocab || !Array.isArray(model.merges)) return { unsupported: 'BPE model without vocab or merges' };
    if (model.dropout !== null && model.dropout !== undefined) return { unsupported: 'BPE dropout' };
    if (model.byte_fallback === true) return { unsupported: 'BPE byte_fallback' };
    if (model.continuing_subword_prefix || model.end_of_word_suffix)
      return { unsupported: 'BPE continuing_subword_prefix or end_of_word_suffix' };
    if (file.truncation || file.padding) return { unsupported: 'truncation or padding' };

    const normalizer = normalizerOf(file.normalizer);
    if ('unsupported' in normalizer) return normalizer;
    const pre = splitsOf(file.pre_tokenizer);
    if ('unsupported' in pre) return pre;
    const post = addedIdsOf(file.post_processor);
    if ('unsupported' in post) return post;

    const raw: string[] = [];
    const normalized: string[] = [];
    const addedIds = new Map<string, number>();
    for (const token of file.added_tokens ?? []) {
      if (token.single_word || token.lstrip || token.rstrip)
        return { unsupported: `added token ${token.content} uses single_word, lstrip or rstrip` };
      if (token.content.length === 0) continue;
      // A normalized token is looked for in normalized text, so its own text is normalized too.
      const content = token.normalized && normalizer.normalize ? nfcAsNative(token.content) : token.content;
      (token.normalized ? normalized : raw).push(content);
      addedIds.set(content, token.id);
    }

    const vocab = new Map<string, number>(Object.entries(model.vocab));
    const byteIds = new Int32Array(256);
    for (let byte = 0; byte < 256; byte++) {
      const id = vocab.get(BYTE_TO_UNICODE[byte]);
      if (id === undefined) return { unsupported: `byte ${byte} has no vocabulary entry (not byte-level)` };
      byteIds[byte] = id;
    }
    const merges = new MergeTable(model.merges.length);
    const mergedIds = new Int32Array(model.merges.length);
    for (const [rank, merge] of model.merges.entries()) {
      const [left, right] = typeof merge === 'string' ? merge.split(' ', 2) : merge;
      const leftId = vocab.get(left);
      const rightId = vocab.get(right);
      const mergedId = vocab.get(left + right);
      if (leftId === undefined || rightId === undefined || mergedId === undefined)
        return { unsupported: `merge ${left} ${right} outside the vocabulary` };
      merges.set(leftId, rightId, rank);
      mergedIds[rank] = mergedId;
    }
    return {
      encoder: new ByteLevelBpeEncoder(
        addedTokenPattern(raw),
        addedTokenPattern(normalized),
        addedIds,
        normalizer.normalize,
        pre.splits,
        byteIds,
        merges,
        mergedIds,
        model.ignore_merges === true ? vocab : null,
        post.prefix,
        post.suffix,
        maxCachedWords,
        unassignedClass === null ? null : new RegExp(unassignedClass, 'u'),
      ),
    };
  }

  /** The ids of `text`; with `addSpecialTokens`, framed as the post-processor's template says (a BOS, ...). */
  encode(text: string, addSpecialTokens = false): number[] {
    const ids: number[] = addSpecialTokens ? this.prefixIds.slice() : [];
    // The native binding receives text as UTF-8: a lone surrogate arrives as U+FFFD.
    const input = text.replace(LONE_SURROGATE, '\ufffd');
    this.splitAdded(input, this.rawAdded, ids, true);
    if (addSpecialTokens) for (const id of this.suffixIds) ids.push(id);
    return ids;
  }

  /** How many words the cache holds. */
  get cachedWords(): number {
    return this.words.size;
  }

  /** Splits `text` at the added tokens `pattern` finds; the pieces between go on to normalization or pre-tokenization. */
  private splitAdded(text: string, pattern: RegExp | null, ids: number[], raw: boolean): void {
    if (pattern === null) {
      this.afterAdded(text, ids, raw);
      return;
    }
    pattern.lastIndex = 0;
    let last = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      if (match.index > last) this.afterAdded(text.slice(last, match.index), ids, raw);
      ids.push(this.addedIds.get(match[0])!);
      last = pattern.lastIndex;
    }
    if (last === 0) this.afterAdded(text, ids, raw);
    else if (last < text.length) this.afterAdded(text.slice(last), ids, raw);
  }

  private afterAdded(piece: string, ids: number[], raw: boolean): void {
    if (piece.length === 0) return;
    if (raw) {
      // NFC changes nothing below U+0300 (no character there decomposes or composes).
      const normalized = this.nfc && /[^\0-\u02ff]/.test(piece) ? nfcAsNative(piece) : piece;
      this.splitAdded(normalized, this.normalizedAdded, ids, false);
    } else if (this.unassignedAll !== null && this.unassigned!.test(piece)) {
      // Split a copy in which the characters the native engine does not know are a noncharacter
      // of the same length (unassigned in every Unicode version), and cut the text where it cuts.
      const view = piece.replace(this.unassignedAll, (char) => (char.length === 1 ? '\ufffe' : '\u{1fffe}'));
      this.pretokenize(piece, view, 0, ids);
    } else this.pretokenize(piece, piece, 0, ids);
  }

  /**
   * Runs split `step` (and the ones after it) over `piece`, encoding each final word; the patterns
   * look at `view` (the piece itself, or a copy of the same length; see `afterAdded`).
   */
  private pretokenize(piece: string, view: string, step: number, ids: number[]): void {
    if (step === this.splits.length) {
      this.encodeWord(piece, ids);
      return;
    }
    const { sticky, search, removeMatches } = this.splits[step];
    const next = (from: number, to: number): void => {
      if (from === 0 && to === piece.length) this.pretokenize(piece, view, step + 1, ids);
      else {
        const part = piece.slice(from, to);
        this.pretokenize(part, view === piece ? part : view.slice(from, to), step + 1, ids);
      }
    };
    // Pieces are the matches and the gaps between them; `gap` is where the current gap began.
    let gap = 0;
    let at = 0;
    while (at < view.length) {
      sticky.lastIndex = at;
      if (sticky.test(view) && sticky.lastIndex > at) {
        const end = sticky.lastIndex;
        if (gap < at) next(gap, at);
        if (!removeMatches) next(at, end);
        at = gap = end;
        continue;
      }
      // No match starts here: the next one starts where a forward search finds it (its own pattern,
      // so a later step's splits cannot move it).
      search.lastIndex = at;
      const found = search.exec(view);
      if (found === null) break;
      // An empty match (refused at load, so never expected) is stepped over by one code point.
      at = found.index > at ? found.index : at + ((view.codePointAt(at) ?? 0) > 0xffff ? 2 : 1);
    }
    if (gap < view.length) next(gap, view.length);
  }

  private encodeWord(word: string, ids: number[]): void {
    if (word.length === 0) return;
    const cached = this.words.get(word);
    if (cached !== undefined) {
      if (typeof cached === 'number') ids.push(cached);
      else for (const id of cached) ids.push(id);
      return;
    }
    const encoded = this.bpe(word);
    if (word.length <= MAX_CACHED_WORD) {
      if (this.words.size >= this.maxCachedWords || this.cachedChars >= MAX_CACHED_CHARS) {
        this.words.clear();
        this.cachedChars = 0;
      }
      // A copy, not the slice: a sliced string keeps the whole prompt it was cut from alive.
      this.words.set(word.length > 12 ? (' ' + word).slice(1) : word, encoded.length === 1 ? encoded[0] : encoded);
      this.cachedChars += word.length;
    }
    for (const id of encoded) ids.push(id);
  }

  /** BPE over the word's UTF-8 bytes. */
  private bpe(word: string): number[] {
    const bytes = Buffer.from(word, 'utf8');
    if (this.vocab !== null) {
      // ignore_merges: a word that is itself a vocabulary entry is that entry.
      let chars = '';
      for (const byte of bytes) chars += BYTE_TO_UNICODE[byte];
      const whole = this.vocab.get(chars);
      if (whole !== undefined) return [whole];
    }
    const symbols: number[] = new Array<number>(bytes.length);
    for (let i = 0; i < bytes.length; i++) symbols[i] = this.byteIds[bytes[i]];
    if (symbols.length < 2) return symbols;
    return symbols.length <= SHORT_WORD_BYTES || symbols.length >= POSITION_RANGE
      ? this.mergeByScan(symbols)
      : this.mergeByHeap(symbols);
  }

  /**
   * Merges the lowest-ranked adjacent pair (leftmost among equals) until none merges; each pair's
   * rank is kept beside it, so a merge looks up only the two pairs it changes.
   */
  private mergeByScan(symbols: number[]): number[] {
    const ranks: number[] = new Array<number>(symbols.length - 1);
    for (let i = 0; i + 1 < symbols.length; i++) ranks[i] = this.rankOf(symbols[i], symbols[i + 1]);
    for (;;) {
      let bestRank = NO_MERGE;
      let bestAt = -1;
      for (let i = 0; i < ranks.length; i++) {
        if (ranks[i] < bestRank) {
          bestRank = ranks[i];
          bestAt = i;
        }
      }
      if (bestAt < 0) return symbols;
      symbols[bestAt] = this.mergedIds[bestRank];
      symbols.splice(bestAt + 1, 1);
      ranks.splice(bestAt, 1);
      if (bestAt > 0) ranks[bestAt - 1] = this.rankOf(symbols[bestAt - 1], symbols[bestAt]);
      if (bestAt < ranks.length) ranks[bestAt] = this.rankOf(symbols[bestAt], symbols[bestAt + 1]);
    }
  }

  private rankOf(left: number, right: number): number {
    const rank = this.merges.rank(left, right);
    return rank < 0 ? NO_MERGE : rank;
  }

  /**
   * The same merges in the same order for long words, with a min-heap of (rank, position) over a
   * linked list of symbols: stale entries (a symbol merged away, or its pair changed) are skipped.
   */
  private mergeByHeap(initial: number[]): number[] {
    const n = initial.length;
    const symbols = Int32Array.from(initial);
    const previous = new Int32Array(n);
    const next = new Int32Array(n);
    const removed = new Uint8Array(n);
    // At most n - 1 initial pairs and two per merge (n - 1 merges at most).
    const heap = new Float64Array(3 * n);
    let size = 0;
    const push = (rank: number, at: number): void => {
      const key = rank * POSITION_RANGE + at;
      let i = size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (heap[parent] <= key) break;
        heap[i] = heap[parent];
        i = parent;
      }
      heap[i] = key;
    };
    const pop = (): number => {
      const top = heap[0];
      const last = heap[--size];
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= size) break;
        const child = left + 1 < size && heap[left + 1] < heap[left] ? left + 1 : left;
        if (heap[child] >= last) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
      return top;
    };
    for (let i = 0; i < n; i++) {
      previous[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
      if (i + 1 < n) {
        const rank = this.merges.rank(symbols[i], symbols[i + 1]);
        if (rank >= 0) push(rank, i);
      }
    }
    while (size > 0) {
      const key = pop();
      const at = key % POSITION_RANGE;
      const rank = (key - at) / POSITION_RANGE;
      const right = next[at];
      if (removed[at] || right < 0 || this.merges.rank(symbols[at], symbols[right]) !== rank) continue;
      symbols[at] = this.mergedIds[rank];
      removed[right] = 1;
      next[at] = next[right];
      if (next[at] >= 0) previous[next[at]] = at;
      if (previous[at] >= 0) {
        const before = this.merges.rank(symbols[previous[at]], symbols[at]);
        if (before >= 0) push(before, previous[at]);
      }
      if (next[at] >= 0) {
        const after = this.merges.rank(symbols[at], symbols[next[at]]);
        if (after >= 0) push(after, at);
      }
    }
    const result: number[] = [];
    for (let i = 0; i >= 0; i = next[i]) result.push(symbols[i]);
    return result;
  }
}
