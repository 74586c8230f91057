import type { Random } from '../random.js';
import { classMatches, type Grammar, type GrammarExpr } from './grammar.js';

/** Characters a generated string prefers, so that answers stay readable (and tokenize as text does). */
const FRIENDLY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ _-.,:';
/** Beyond this many code points (or rule levels) the generator heads for the shortest way out. */
const DEFAULT_BUDGET = 160;
const MAX_DEPTH = 120;
/** How many extra repetitions beyond the minimum a random choice takes at most. */
const EXTRA_REPEATS = 3;

/**
 * A random string of the grammar's language, deterministic for a random stream. Choices and
 * repetitions are random until the string reaches its length budget (or the derivation gets
 * deep); from then on every choice takes the shallowest derivation, which always terminates.
 */
export function generateFromGrammar(grammar: Grammar, random: Random, budget = DEFAULT_BUDGET): string {
  const walker = new Derivation(grammar, random, budget);
  walker.emit({ type: 'ref', name: grammar.root });
  return walker.out.join('');
}

/** One expression of a grammar as a string (regexes need no rule table beyond their root). */
export function generateExpr(grammar: Grammar, expr: GrammarExpr, random: Random, budget = DEFAULT_BUDGET): string {
  const walker = new Derivation(grammar, random, budget);
  walker.emit(expr);
  return walker.out.join('');
}

class Derivation {
  readonly out: string[] = [];
  private produced = 0;
  private depth = 0;

  constructor(
    private readonly grammar: Grammar,
    private readonly random: Random,
    private readonly budget: number,
  ) {}

  private get exhausted(): boolean {
    return this.produced >= this.budget || this.depth >= MAX_DEPTH;
  }

  emit(expr: GrammarExpr): void {
    switch (expr.type) {
      case 'literal':
        this.push(expr.text, expr.text.length);
        return;
      case 'class':
        this.push(pickChar(expr, this.random), 1);
        return;
      case 'seq':
        for (const item of expr.items) this.emit(item);
        return;
      case 'choice':
        this.emit(this.chooseOption(expr.options));
        return;
      case 'repeat': {
        // Optional whitespace stays at its minimum, as a model writes compact JSON.
        const count =
          this.exhausted || isWhitespace(expr.item)
            ? expr.min
            : this.random.int(expr.min, Math.min(expr.max, expr.min + EXTRA_REPEATS));
        for (let i = 0; i < count; i++) this.emit(expr.item);
        return;
      }
      case 'ref': {
        this.depth++;
        this.emit(this.grammar.rules.get(expr.name)!);
        this.depth--;
        return;
      }
    }
  }

  /** Random among the options that derive something; the shallowest once the budget is spent. */
  private chooseOption(options: readonly GrammarExpr[]): GrammarExpr {
    const reaches = options.map((o) => this.grammar.reachOf(o));
    if (this.exhausted) {
      let best = 0;
      for (let i = 1; i < options.length; i++) {
        const a = reaches[i];
        const b = reaches[best];
        if (a.height < b.height || (a.height === b.height && a.length < b.length)) best = i;
      }
      return options[best];
    }
    const viable = options.filter((_, i) => reaches[i].length !== Infinity);
    return viable[this.random.int(0, viable.length - 1)];
  }

  private push(text: string, length: number): void {
    this.out.push(text);
    this.produced += length;
  }
}

const WHITESPACE = new Set([0x09, 0x0a, 0x0d, 0x20]);

function isWhitespace(expr: GrammarExpr): boolean {
  if (expr.type === 'class')
    return (
      !expr.negated &&
      expr.ranges.every(
        ([lo, hi]) => hi - lo < 4 && [...Array(hi - lo + 1).keys()].every((i) => WHITESPACE.has(lo + i)),
      )
    );
  if (expr.type === 'literal')
    return expr.text.length > 0 && [...expr.text].every((ch) => WHITESPACE.has(ch.codePointAt(0)!));
  if (expr.type === 'choice') return expr.options.every(isWhitespace);
  return false;
}

/** A character of the class: a friendly one when the class has any, else one from its ranges. */
export function pickChar(expr: Extract<GrammarExpr, { type: 'class' }>, random: Random): string {
  const friendly: string[] = [];
  for (const ch of FRIENDLY) if (classMatches(expr, ch.codePointAt(0)!)) friendly.push(ch);
  if (friendly.length > 0) return friendly[random.int(0, friendly.length - 1)];
  if (!expr.negated) {
    const ranges = expr.ranges.filter(([lo, hi]) => hi >= lo);
    const [lo, hi] = ranges[random.int(0, ranges.length - 1)];
    let cp = random.int(lo, hi);
    if (cp >= 0xd800 && cp <= 0xdfff) cp = lo < 0xd800 ? lo : Math.min(hi, 0xe000);
    return String.fromCodePoint(cp);
  }
  // A negated class that excludes every friendly character: the first printable ones it allows.
  const allowed: number[] = [];
  for (let cp = 0x21; cp < 0x3000 && allowed.length < 16; cp++) {
    if (cp >= 0x7f && cp < 0xa1) continue;
    if (classMatches(expr, cp)) allowed.push(cp);
  }
  if (allowed.length === 0) allowed.push(firstAllowed(expr));
  return String.fromCodePoint(allowed[random.int(0, allowed.length - 1)]);
}

/** The lowest non-surrogate code point a negated class allows (the class is known not to be empty). */
function firstAllowed(expr: Extract<GrammarExpr, { type: 'class' }>): number {
  const sorted = [...expr.ranges].filter(([lo, hi]) => hi >= lo).sort((a, b) => a[0] - b[0]);
  let next = 0;
  for (const [lo, hi] of sorted) {
    if (lo > next && !(next >= 0xd800 && lo - 1 <= 0xdfff)) return next >= 0xd800 && next <= 0xdfff ? 0xe000 : next;
    next = Math.max(next, hi + 1);
  }
  return next >= 0xd800 && next <= 0xdfff ? 0xe000 : next;
}
