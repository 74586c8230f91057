/**
 * Translates a pre-tokenizer pattern from `tokenizer.json` (written for Oniguruma, which the
 * Hugging Face `tokenizers` library runs them with) into a JavaScript regular expression that
 * splits every string the same way, or says why it cannot.
 *
 * Only the constructs the byte-level BPE families use are translated; anything else is refused,
 * so the caller falls back to the native tokenizer instead of splitting differently:
 * - `\s` / `\S`: Oniguruma's Unicode space is the White_Space property (it includes U+0085 and
 *   excludes U+FEFF, unlike JavaScript's `\s`);
 * - `(?i:...)` around literal text: Node 20 has no inline modifiers, so each ASCII letter becomes
 *   a class of everything that case-folds to it (`s` also matches U+017F, `k` also U+212A);
 * - `.`: Oniguruma's matches everything but `\n` (JavaScript's also stops at `\r`, U+2028, U+2029);
 * - `\p{...}` / `\P{...}`, literal characters, classes, groups, lookaheads, quantifiers as they are.
 * Refused: `^`/`$` (line anchors in Oniguruma), `\d`, `\w`, `\b` and other class escapes whose
 * meaning differs between the engines, nested classes and class set operations, inline flags
 * other than a literal `(?i:...)` group, and backreferences.
 */

const WHITE_SPACE = '\\p{White_Space}';
const NOT_WHITE_SPACE = '\\P{White_Space}';

/** Characters other than the ASCII pair that simple case folding maps onto an ASCII letter. */
const EXTRA_FOLDS: Readonly<Record<string, string>> = { k: '\u212a', s: '\u017f' };

/** Escapes that mean the same in both engines and can be copied as they are. */
const SAME_ESCAPES = new Set(['r', 'n', 't', 'f', 'v', '0']);

export type TranslatedPattern = { source: string } | { unsupported: string };

function caseInsensitiveLetter(char: string): string {
  const lower = char.toLowerCase();
  return `[${lower}${lower.toUpperCase()}${EXTRA_FOLDS[lower] ?? ''}]`;
}

/** Reads an escape at `pattern[i]` (the backslash); returns its translation and length, or a refusal. */
function translateEscape(
  pattern: string,
  i: number,
  inClass: boolean,
): { text: string; length: number } | { unsupported: string } {
  const next = pattern[i + 1];
  if (next === undefined) return { unsupported: 'pattern ends with a backslash' };
  if (next === 'p' || next === 'P') {
    const close = pattern.indexOf('}', i);
    if (pattern[i + 2] !== '{' || close < 0) return { unsupported: `\\${next} without {name}` };
    return { text: pattern.slice(i, close + 1), length: close + 1 - i };
  }
  if (next === 's') return { text: WHITE_SPACE, length: 2 };
  if (next === 'S') return { text: NOT_WHITE_SPACE, length: 2 };
  if (SAME_ESCAPES.has(next)) return { text: `\\${next}`, length: 2 };
  if (/[A-Za-z0-9]/.test(next)) return { unsupported: `escape \\${next}${inClass ? ' in a class' : ''}` };
  // An escaped punctuation or other character stands for itself.
  return { text: /[\\^$.*+?()[\]{}|/-]/.test(next) ? `\\${next}` : next, length: 2 };
}

/** The JavaScript source (for flags `gu`) that splits as `pattern` does under Oniguruma. */
export function translatePretokenizerPattern(pattern: string): TranslatedPattern {
  let out = '';
  let inClass = false;
  /** The depth of the `(?i:` group being read, or -1 outside one. */
  let caseInsensitiveDepth = -1;
  let depth = 0;
  for (let i = 0; i < pattern.length;) {
    const char = pattern[i];
    if (char === '\\') {
      const escape = translateEscape(pattern, i, inClass);
      if ('unsupported' in escape) return escape;
      if (caseInsensitiveDepth >= 0 && /[A-Za-z]/.test(escape.text))
        return { unsupported: 'an escape inside (?i:...)' };
      out += escape.text;
      i += escape.length;
      continue;
    }
    if (inClass) {
      if (char === '[') return { unsupported: 'nested character class' };
      if (char === '&' && pattern[i + 1] === '&') return { unsupported: 'class intersection' };
      if (char === ']') inClass = false;
      out += char;
      i++;
      continue;
    }
    if (char === '[') {
      if (caseInsensitiveDepth >= 0) return { unsupported: 'a class inside (?i:...)' };
      inClass = true;
      out += char;
      if (pattern[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (pattern[i + 1] === ']') return { unsupported: 'a class that begins with ]' };
      i++;
      continue;
    }
    if (char === '(') {
      if (pattern[i + 1] === '?') {
        const rest = pattern.slice(i + 2);
        if (rest.startsWith('i:')) {
          if (caseInsensitiveDepth >= 0) return { unsupported: 'nested (?i:...)' };
          caseInsensitiveDepth = depth;
          depth++;
          out += '(?:';
          i += 4;
          continue;
        }
        const kind = /^(:|=|!|<=|<!)/.exec(rest);
        if (!kind) return { unsupported: `group (?${rest.slice(0, 2)}` };
        depth++;
        out += `(?${kind[1]}`;
        i += 2 + kind[1].length;
        continue;
      }
      depth++;
      out += char;
      i++;
      continue;
    }
    if (char === ')') {
      depth--;
      if (depth < 0) return { unsupported: 'unbalanced )' };
      if (depth === caseInsensitiveDepth) caseInsensitiveDepth = -1;
      out += char;
      i++;
      continue;
    }
    if (char === '^' || char === '$') return { unsupported: `anchor ${char}` };
    if (char === '.') {
      out += '[^\\n]';
      i++;
      continue;
    }
    if (caseInsensitiveDepth >= 0 && /[A-Za-z]/.test(char)) out += caseInsensitiveLetter(char);
    else if (caseInsensitiveDepth >= 0 && char.codePointAt(0)! > 0x7f)
      return { unsupported: 'a non-ASCII letter inside (?i:...)' };
    else out += char;
    i++;
  }
  if (inClass || depth !== 0) return { unsupported: 'unbalanced class or group' };
  try {
    new RegExp(out, 'gu');
  } catch (err) {
    return { unsupported: `not a valid JavaScript pattern: ${(err as Error).message}` };
  }
  return { source: out };
}

/** A JavaScript source matching `literal` exactly (a `Split` pattern given as a string). */
export function literalPattern(literal: string): string {
  return literal.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}
