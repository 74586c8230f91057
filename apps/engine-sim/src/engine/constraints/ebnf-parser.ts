import { ConstraintError } from './constraint-error.js';
import { g, Grammar, MAX_CODE_POINT, type GrammarExpr } from './grammar.js';
import { SourceCursor } from './source-cursor.js';
import { complement } from './regex-parser.js';

/**
 * Parses an EBNF grammar in the GBNF dialect SGLang and vLLM pass to xgrammar:
 *
 *     root ::= "<tool_call>\n" call "\n</tool_call>"   # comments run to the end of the line
 *     call ::= "{" ws "\"name\"" ws ":" ws [a-z_]+ ws "}"
 *     ws   ::= [ \t\n]*
 *
 * Rules `name ::= body`; strings in double (or single) quotes with `\n \t \r \\ \" \xHH \uHHHH`
 * escapes; classes `[a-z]`, `[^"\\]`; `.` (any character); groups; `|`; the quantifiers
 * `* + ? {m} {m,} {m,n}`. The start rule is `root`. xgrammar's lookahead assertions and built-in
 * macros (`TagDispatch`, ...) are refused, as is anything that does not parse: the request fails
 * as the real engine fails an invalid grammar.
 */
export function parseEbnf(text: string): Grammar {
  const rules = new EbnfParser(text).parse();
  return new Grammar(rules, 'root');
}

class EbnfParser extends SourceCursor {
  constructor(private readonly source: string) {
    super(source);
  }

  protected error(message: string): ConstraintError {
    let line = 1;
    let column = 1;
    for (let i = 0; i < this.pos && i < this.chars.length; i++) {
      if (this.chars[i] === '\n') {
        line++;
        column = 1;
      } else column++;
    }
    return new ConstraintError(`EBNF parse error at line ${line}, column ${column}: ${message}`);
  }

  parse(): Map<string, GrammarExpr> {
    const rules = new Map<string, GrammarExpr>();
    this.skipSpace(true);
    while (this.pos < this.chars.length) {
      const name = this.identifier();
      if (name === null) throw this.error('expected a rule name');
      this.skipSpace(true);
      if (this.chars.slice(this.pos, this.pos + 3).join('') !== '::=') throw this.error('expected ::=');
      this.pos += 3;
      if (rules.has(name)) throw this.error(`rule "${name}" is defined more than once`);
      rules.set(name, this.alternation());
      this.skipSpace(true);
    }
    if (rules.size === 0) throw this.error('the grammar is empty');
    return rules;
  }

  /** Whitespace and comments; newlines too when `newlines`, or when inside a rule they cannot end it. */
  private skipSpace(newlines: boolean): void {
    for (;;) {
      const ch = this.chars[this.pos];
      if (ch === '#') {
        while (this.pos < this.chars.length && this.chars[this.pos] !== '\n') this.pos++;
      } else if (ch === ' ' || ch === '\t' || ch === '\r' || (newlines && ch === '\n')) this.pos++;
      else if (ch === '\n' && !this.ruleStartsAt(this.pos + 1)) this.pos++;
      else return;
    }
  }

  /** A body may continue on the next line unless that line starts a new rule (`name ::=`). */
  private ruleStartsAt(from: number): boolean {
    let i = from;
    while (i < this.chars.length && /[ \t\r\n]/.test(this.chars[i])) i++;
    if (i >= this.chars.length) return true;
    const rest = this.chars.slice(i, i + 256).join('');
    return /^[A-Za-z_][A-Za-z0-9_.-]*[ \t]*::=/.test(rest);
  }

  private identifier(): string | null {
    const rest = this.chars.slice(this.pos, this.pos + 256).join('');
    const m = /^[A-Za-z_][A-Za-z0-9_.-]*/.exec(rest);
    if (!m) return null;
    this.pos += m[0].length;
    return m[0];
  }

  private alternation(): GrammarExpr {
    return this.alternatives(
      () => this.sequence(),
      () => this.skipSpace(false),
    );
  }

  private sequence(): GrammarExpr {
    const items: GrammarExpr[] = [];
    for (;;) {
      this.skipSpace(false);
      const ch = this.chars[this.pos];
      if (ch === undefined || ch === '|' || ch === ')' || ch === '\n') break;
      if (ch === '(' && this.chars[this.pos + 1] === '=') throw this.error('lookahead assertions are not supported');
      items.push(this.quantified(this.element()));
    }
    if (items.length === 0) throw this.error('expected an expression');
    return g.seq(items);
  }

  private quantified(element: GrammarExpr): GrammarExpr {
    for (;;) {
      const ch = this.chars[this.pos];
      if (ch === '*') element = g.repeat(element, 0, Infinity);
      else if (ch === '+') element = g.repeat(element, 1, Infinity);
      else if (ch === '?') element = g.repeat(element, 0, 1);
      else if (ch === '{') {
        const rest = this.chars.slice(this.pos, this.pos + 32).join('');
        const m = /^\{\s*(\d+)\s*(,\s*(\d*)\s*)?\}/.exec(rest);
        if (!m) throw this.error('malformed repetition');
        const min = Number(m[1]);
        const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
        if (max < min || min > 10_000 || (max !== Infinity && max > 10_000))
          throw this.error('invalid repetition range');
        element = g.repeat(element, min, max);
        this.pos += m[0].length - 1;
      } else return element;
      this.pos++;
    }
  }

  private element(): GrammarExpr {
    const ch = this.chars[this.pos];
    if (ch === '"' || ch === "'") return this.string(ch);
    if (ch === '[') return this.characterClass();
    if (ch === '.') {
      this.pos++;
      return g.cls([[0, MAX_CODE_POINT]]);
    }
    if (ch === '(') {
      this.pos++;
      const inner = this.alternation();
      this.skipSpace(true);
      if (this.chars[this.pos] !== ')') throw this.error('expected )');
      this.pos++;
      return inner;
    }
    const name = this.identifier();
    if (name === null) throw this.error(`unexpected character ${JSON.stringify(ch)}`);
    if (this.chars[this.pos] === '(') throw this.error(`built-in function ${name}(...) is not supported`);
    return g.ref(name);
  }

  private string(quote: string): GrammarExpr {
    this.pos++;
    let text = '';
    for (;;) {
      const ch = this.chars[this.pos++];
      if (ch === undefined || ch === '\n') throw this.error('unterminated string');
      if (ch === quote) break;
      text += ch === '\\' ? String.fromCodePoint(this.escape()) : ch;
    }
    return g.literal(text);
  }

  private escape(): number {
    const ch = this.chars[this.pos++];
    switch (ch) {
      case 'n':
        return 0x0a;
      case 't':
        return 0x09;
      case 'r':
        return 0x0d;
      case 'f':
        return 0x0c;
      case 'v':
        return 0x0b;
      case 'b':
        return 0x08;
      case 'a':
        return 0x07;
      case 'e':
        return 0x1b;
      case '0':
        return 0;
      case 'x':
        return this.hexEscape(2, 'invalid hexadecimal escape');
      case 'u':
        return this.hexEscape(4, 'invalid hexadecimal escape');
      case 'U':
        return this.hexEscape(8, 'invalid hexadecimal escape');
      case '\\':
      case '"':
      case "'":
      case '[':
      case ']':
      case '-':
      case '^':
      case '/':
        return ch.codePointAt(0)!;
      default:
        throw this.error(`invalid escape \\${ch ?? ''}`);
    }
  }

  private characterClass(): GrammarExpr {
    this.pos++;
    let negated = false;
    if (this.chars[this.pos] === '^') {
      negated = true;
      this.pos++;
    }
    const ranges: [number, number][] = [];
    for (;;) {
      const ch = this.chars[this.pos];
      if (ch === undefined || ch === '\n') throw this.error('unterminated character class');
      if (ch === ']') {
        this.pos++;
        break;
      }
      const low = this.classChar();
      if (this.chars[this.pos] === '-' && this.chars[this.pos + 1] !== ']') {
        this.pos++;
        const high = this.classChar();
        if (high < low) throw this.error('invalid character range');
        ranges.push([low, high]);
      } else ranges.push([low, low]);
    }
    return g.cls(negated ? complement(ranges) : ranges, false);
  }

  private classChar(): number {
    const ch = this.chars[this.pos++];
    return ch === '\\' ? this.escape() : ch.codePointAt(0)!;
  }
}
