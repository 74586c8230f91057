import { ConstraintError } from './constraint-error.js';
import { g, Grammar, MAX_CODE_POINT, type GrammarExpr } from './grammar.js';
import { SourceCursor } from './source-cursor.js';

type Range = readonly [number, number];

const DIGIT: Range[] = [[0x30, 0x39]];
const WORD: Range[] = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];
const SPACE: Range[] = [
  [0x09, 0x0d],
  [0x20, 0x20],
];
const NEWLINE: Range[] = [[0x0a, 0x0a]];

/**
 * Parses a regular expression in the dialect constrained decoding accepts (Python `re` syntax as
 * xgrammar and outlines read it): literals and escapes, `.`, classes, groups (capturing,
 * non-capturing, named), alternation, the quantifiers `* + ? {n} {n,} {n,m}` (lazy forms accepted),
 * `^` at the start and `$` at the end. Lookarounds, back-references and inner anchors are refused:
 * no grammar can express them.
 */
export function parseRegex(pattern: string): ParsedRegex {
  return new RegexParser(pattern).parse();
}

export interface ParsedRegex {
  expr: GrammarExpr;
  /** Began with `^` / ended with `$` (only a search, as in a JSON schema `pattern`, cares). */
  anchoredStart: boolean;
  anchoredEnd: boolean;
}

/** A regex constraint as a one-rule grammar: the whole output must match it. */
export function regexGrammar(pattern: string): Grammar {
  return new Grammar(new Map([['root', parseRegex(pattern).expr]]), 'root');
}

class RegexParser extends SourceCursor {
  private anchoredEnd = false;

  constructor(private readonly pattern: string) {
    super(pattern);
  }

  parse(): ParsedRegex {
    const anchoredStart = this.peek() === '^';
    if (anchoredStart) this.pos++;
    const expr = this.alternation();
    if (this.pos < this.chars.length) throw this.error(`unbalanced parenthesis`);
    return { expr, anchoredStart, anchoredEnd: this.anchoredEnd };
  }

  protected error(message: string): ConstraintError {
    return new ConstraintError(`Invalid regex ${JSON.stringify(this.pattern)}: ${message} at position ${this.pos}`);
  }

  private peek(offset = 0): string | undefined {
    return this.chars[this.pos + offset];
  }

  private alternation(): GrammarExpr {
    return this.alternatives(() => this.sequence());
  }

  private sequence(): GrammarExpr {
    const items: GrammarExpr[] = [];
    for (;;) {
      const ch = this.peek();
      if (ch === undefined || ch === '|' || ch === ')') break;
      if (ch === '$') {
        // Only a final anchor is meaningful for a whole-output match.
        this.pos++;
        if (this.pos !== this.chars.length && this.peek() !== ')' && this.peek() !== '|')
          throw this.error('an anchor inside the pattern is not supported');
        this.anchoredEnd = true;
        continue;
      }
      if (ch === '^') throw this.error('an anchor inside the pattern is not supported');
      items.push(this.quantified(this.atom()));
    }
    return items.length === 0 ? g.literal('') : mergeLiterals(items);
  }

  private quantified(atom: GrammarExpr): GrammarExpr {
    for (;;) {
      const ch = this.peek();
      let min: number;
      let max: number;
      if (ch === '*') [min, max] = [0, Infinity];
      else if (ch === '+') [min, max] = [1, Infinity];
      else if (ch === '?') [min, max] = [0, 1];
      else if (ch === '{') {
        const braces = this.braces();
        if (!braces) return atom;
        [min, max] = braces;
      } else return atom;
      if (ch !== '{') this.pos++;
      // Lazy (`*?`) and possessive (`*+`) forms match the same language.
      if (this.peek() === '?' || this.peek() === '+') this.pos++;
      atom = g.repeat(atom, min, max);
    }
  }

  /** `{n}`, `{n,}`, `{n,m}`, `{,m}`; anything else is a literal `{` (as in Python). */
  private braces(): [number, number] | null {
    const rest = this.chars.slice(this.pos).join('');
    const m = /^\{(\d*)(,(\d*))?\}/.exec(rest);
    if (!m || (m[1] === '' && m[2] === undefined)) return null;
    const min = m[1] === '' ? 0 : Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    if (max < min) throw this.error('min repeat greater than max repeat');
    if (min > 10_000 || (max !== Infinity && max > 10_000)) throw this.error('repetition count too large');
    this.pos += [...m[0]].length;
    return [min, max];
  }

  private atom(): GrammarExpr {
    const ch = this.chars[this.pos++];
    switch (ch) {
      case '(':
        return this.group();
      case '[':
        return this.characterClass();
      case '.':
        return g.cls(NEWLINE, true);
      case '\\':
        return this.escape(false);
      case '*':
      case '+':
      case '?':
        throw this.error('nothing to repeat');
      default:
        return g.literal(ch);
    }
  }

  private group(): GrammarExpr {
    if (this.peek() === '?') {
      const kind = this.peek(1);
      if (kind === ':') this.pos += 2;
      else if (kind === 'P' && this.peek(2) === '<') this.skipGroupName(3);
      else if (kind === '<' && this.peek(2) !== '=' && this.peek(2) !== '!') this.skipGroupName(2);
      else throw this.error('lookaround assertions and inline flags are not supported');
    }
    const inner = this.alternation();
    if (this.chars[this.pos++] !== ')') throw this.error('missing ), unterminated subpattern');
    return inner;
  }

  private skipGroupName(prefix: number): void {
    this.pos += prefix;
    while (this.peek() !== undefined && this.peek() !== '>') this.pos++;
    if (this.chars[this.pos++] !== '>') throw this.error('missing >, unterminated name');
  }

  /** An escape outside (or, with `inClass`, inside) a class: a literal, or a class of ranges. */
  private escape(inClass: boolean): GrammarExpr {
    const ch = this.chars[this.pos++];
    if (ch === undefined) throw this.error('bad escape (end of pattern)');
    switch (ch) {
      case 'd':
        return g.cls(DIGIT);
      case 'D':
        return g.cls(DIGIT, true);
      case 'w':
        return g.cls(WORD);
      case 'W':
        return g.cls(WORD, true);
      case 's':
        return g.cls(SPACE);
      case 'S':
        return g.cls(SPACE, true);
      case 'n':
        return g.literal('\n');
      case 't':
        return g.literal('\t');
      case 'r':
        return g.literal('\r');
      case 'f':
        return g.literal('\f');
      case 'v':
        return g.literal('\v');
      case '0':
        return g.literal('\0');
      case 'x':
        return g.literal(String.fromCodePoint(this.hexEscape(2, 'incomplete escape')));
      case 'u':
        return g.literal(String.fromCodePoint(this.hexEscape(4, 'incomplete escape')));
      case 'U':
        return g.literal(String.fromCodePoint(this.hexEscape(8, 'incomplete escape')));
      case 'b':
        if (inClass) return g.literal('\b');
        throw this.error('word boundaries are not supported');
      default:
        if (/[1-9]/.test(ch)) throw this.error('back-references are not supported');
        if (/[A-Za-z]/.test(ch)) throw this.error(`bad escape \\${ch}`);
        return g.literal(ch);
    }
  }

  private characterClass(): GrammarExpr {
    const ranges: Range[] = [];
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.pos++;
    }
    let first = true;
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) throw this.error('unterminated character set');
      if (ch === ']' && !first) {
        this.pos++;
        break;
      }
      first = false;
      const low = this.classAtom();
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined && low.single !== null) {
        this.pos++;
        const high = this.classAtom();
        if (high.single === null) throw this.error('bad character range');
        if (high.single < low.single) throw this.error('bad character range');
        ranges.push([low.single, high.single]);
      } else ranges.push(...low.ranges);
    }
    return g.cls(ranges, negated);
  }

  /** One member of a class: a single code point, or an escape standing for several ranges. */
  private classAtom(): { single: number | null; ranges: Range[] } {
    const ch = this.chars[this.pos++];
    if (ch !== '\\') {
      const cp = ch.codePointAt(0)!;
      return { single: cp, ranges: [[cp, cp]] };
    }
    const expr = this.escape(true);
    if (expr.type === 'literal') {
      const cp = expr.text.codePointAt(0)!;
      return { single: cp, ranges: [[cp, cp]] };
    }
    if (expr.type === 'class' && !expr.negated) return { single: null, ranges: [...expr.ranges] };
    if (expr.type === 'class') return { single: null, ranges: complement(expr.ranges) };
    throw this.error('bad escape in a character set');
  }
}

/** Adjacent literals as one (keeps the flattened grammar small). */
function mergeLiterals(items: GrammarExpr[]): GrammarExpr {
  const out: GrammarExpr[] = [];
  for (const item of items) {
    const last = out[out.length - 1];
    if (item.type === 'literal' && last?.type === 'literal') out[out.length - 1] = g.literal(last.text + item.text);
    else out.push(item);
  }
  return g.seq(out);
}

export function complement(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of sorted) {
    if (lo > next) out.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}
