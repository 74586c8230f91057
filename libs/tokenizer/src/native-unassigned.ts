import { Tokenizer } from 'tokenizers';
import { BYTE_TO_UNICODE } from './byte-level.js';

/**
 * The code points this Node's Unicode tables assign but the native binding's regex engine
 * (Oniguruma, with its own, older tables) treats as unassigned (general category Cn), as a regular
 * expression character class; null when there are none.
 *
 * Pre-tokenizer patterns split by Unicode properties (`\p{L}`, `\p{P}`, ...), so a character added
 * in a newer Unicode version splits differently in the two engines. The built-in encoder runs its
 * patterns over a copy of the text in which these characters are replaced by a noncharacter (Cn in
 * every version), which splits exactly as the native engine does.
 *
 * Asked of the binding itself, once per process: a byte-level tokenizer with no merges whose
 * pre-tokenizer removes every character Oniguruma does not call Cn encodes a string of every
 * candidate code point; what survives is the answer (≈ 0.1 s).
 */
export function nativeUnassignedClass(): Promise<string | null> {
  probe ??= probeNativeUnassigned();
  return probe;
}

let probe: Promise<string | null> | null = null;

/** Blocks assigned long before any tokenizer existed, left out of the probe to keep it short. */
function isOldBlock(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp < 0xa000) || (cp >= 0xac00 && cp < 0xd7a4) || (cp >= 0x20000 && cp < 0x2a6e0) || cp < 0x370
  );
}

async function probeNativeUnassigned(): Promise<string | null> {
  const vocab: Record<string, number> = {};
  BYTE_TO_UNICODE.forEach((char, byte) => {
    vocab[char] = byte;
  });
  const keepUnassigned = Tokenizer.fromString(
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [],
      normalizer: null,
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Split', pattern: { Regex: '\\P{Cn}' }, behavior: 'Removed', invert: false },
          { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
        ],
      },
      post_processor: null,
      decoder: null,
      model: { type: 'BPE', dropout: null, unk_token: null, fuse_unk: false, byte_fallback: false, vocab, merges: [] },
    }),
  );
  const assigned = /\P{Cn}/u;
  const candidates: string[] = [];
  const consider = (from: number, to: number): void => {
    for (let cp = from; cp < to; cp++) {
      if (isOldBlock(cp) || (cp >= 0xd800 && cp < 0xe000)) continue;
      const char = String.fromCodePoint(cp);
      if (assigned.test(char)) candidates.push(char);
    }
  };
  // Planes 0-3 and 14 (tags, variation selectors); 4-13 hold nothing, 15-16 are private use.
  consider(0, 0x40000);
  consider(0xe0000, 0xe1000);
  const ids = (await keepUnassigned.encode(candidates.join(''), null, { addSpecialTokens: false })).getIds();
  const unassigned = [...Buffer.from(ids).toString('utf8')].map((char) => char.codePointAt(0)!);
  if (unassigned.length === 0) return null;
  // As a class of ranges.
  let source = '';
  for (let i = 0; i < unassigned.length;) {
    let j = i;
    while (j + 1 < unassigned.length && unassigned[j + 1] === unassigned[j] + 1) j++;
    const hex = (cp: number): string => `\\u{${cp.toString(16)}}`;
    source += i === j ? hex(unassigned[i]) : `${hex(unassigned[i])}-${hex(unassigned[j])}`;
    i = j + 1;
  }
  return `[${source}]`;
}
