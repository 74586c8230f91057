import type { ConstraintError } from './constraint-error.js';
import { g, MAX_CODE_POINT, type GrammarExpr } from './grammar.js';

/** A parser's position in its source, read by code point, and what both constraint parsers read alike. */
export abstract class SourceCursor {
  protected pos = 0;
  protected readonly chars: string[];

  constructor(source: string) {
    this.chars = [...source];
  }

  /** The error at the current position, in the parser's own wording. */
  protected abstract error(message: string): ConstraintError;

  /** The code point of `digits` hexadecimal digits (`\xHH`, `\uHHHH`, `\UHHHHHHHH`); `malformed` when they are not. */
  protected hexEscape(digits: number, malformed: string): number {
    const text = this.chars.slice(this.pos, this.pos + digits).join('');
    if (!new RegExp(`^[0-9A-Fa-f]{${digits}}$`).test(text)) throw this.error(malformed);
    this.pos += digits;
    const cp = parseInt(text, 16);
    if (cp > MAX_CODE_POINT) throw this.error('escape beyond the Unicode range');
    return cp;
  }

  /**
   * `a | b | …`: a sequence, then one more after each `|`, in both grammars. `beforeBar` skips what
   * the grammar allows before a `|` (EBNF: spaces; a regex: nothing, a space is a literal there).
   */
  protected alternatives(sequence: () => GrammarExpr, beforeBar?: () => void): GrammarExpr {
    const options = [sequence()];
    for (;;) {
      beforeBar?.();
      if (this.chars[this.pos] !== '|') break;
      this.pos++;
      options.push(sequence());
    }
    return g.choice(options);
  }
}
