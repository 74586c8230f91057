import { classMatches, type Grammar, type GrammarExpr } from './grammar.js';

/** A terminal matches one code point. */
type Terminal = (cp: number) => boolean;
/** A symbol of a flattened production: a terminal, or a nonterminal's index. */
type SymbolRef = { t: Terminal } | { n: number };

interface Production {
  lhs: number;
  rhs: SymbolRef[];
}

/**
 * Whether a grammar derives a text exactly, by an Earley parse over code points. The grammar's
 * expressions are flattened into plain productions first (a fresh nonterminal per choice and
 * repetition). Used to keep a model's intended answer when the constraint allows it as it is.
 */
export class EarleyRecognizer {
  private readonly productions: Production[] = [];
  private readonly byLhs: number[][] = [];
  private readonly nullable: boolean[] = [];
  private readonly ruleIds = new Map<string, number>();
  private readonly rootId: number;

  constructor(grammar: Grammar) {
    for (const name of grammar.rules.keys()) this.ruleIds.set(name, this.newNonterminal());
    for (const [name, expr] of grammar.rules) this.addAlternatives(this.ruleIds.get(name)!, expr);
    this.rootId = this.ruleIds.get(grammar.root)!;
    this.computeNullable();
  }

  private newNonterminal(): number {
    this.byLhs.push([]);
    return this.byLhs.length - 1;
  }

  private add(lhs: number, rhs: SymbolRef[]): void {
    this.byLhs[lhs].push(this.productions.length);
    this.productions.push({ lhs, rhs });
  }

  /** Productions `lhs → expr` (a choice gives one production per option). */
  private addAlternatives(lhs: number, expr: GrammarExpr): void {
    if (expr.type === 'choice') for (const option of expr.options) this.add(lhs, this.symbols(option));
    else this.add(lhs, this.symbols(expr));
  }

  private symbols(expr: GrammarExpr): SymbolRef[] {
    switch (expr.type) {
      case 'literal':
        return [...expr.text].map((ch) => {
          const cp = ch.codePointAt(0)!;
          return { t: (c: number) => c === cp };
        });
      case 'class':
        return [{ t: (c: number) => classMatches(expr, c) }];
      case 'seq':
        return expr.items.flatMap((item) => this.symbols(item));
      case 'choice': {
        const n = this.newNonterminal();
        this.addAlternatives(n, expr);
        return [{ n }];
      }
      case 'ref':
        return [{ n: this.ruleIds.get(expr.name)! }];
      case 'repeat':
        return this.repeatSymbols(expr);
    }
  }

  /** `item{min,max}`: the item `min` times, then a tail of optional items (or a star). */
  private repeatSymbols(expr: Extract<GrammarExpr, { type: 'repeat' }>): SymbolRef[] {
    const item = this.newNonterminal();
    this.addAlternatives(item, expr.item);
    const out: SymbolRef[] = [];
    for (let i = 0; i < expr.min; i++) out.push({ n: item });
    if (expr.max === Infinity) {
      const star = this.newNonterminal();
      this.add(star, []);
      this.add(star, [{ n: item }, { n: star }]);
      out.push({ n: star });
    } else if (expr.max > expr.min) {
      // opt_k → ε | item opt_{k-1}: at most max - min more items.
      let tail = this.newNonterminal();
      this.add(tail, []);
      for (let k = expr.min + 1; k < expr.max; k++) {
        const next = this.newNonterminal();
        this.add(next, []);
        this.add(next, [{ n: item }, { n: tail }]);
        tail = next;
      }
      const top = this.newNonterminal();
      this.add(top, []);
      this.add(top, [{ n: item }, { n: tail }]);
      out.push({ n: top });
    }
    return out;
  }

  private computeNullable(): void {
    for (let i = 0; i < this.byLhs.length; i++) this.nullable.push(false);
    for (let changed = true; changed;) {
      changed = false;
      for (const p of this.productions) {
        if (this.nullable[p.lhs]) continue;
        if (p.rhs.every((s) => 'n' in s && this.nullable[s.n])) {
          this.nullable[p.lhs] = true;
          changed = true;
        }
      }
    }
  }

  /** Whether the root derives `text` exactly. */
  accepts(text: string): boolean {
    const input = [...text].map((ch) => ch.codePointAt(0)!);
    // An item is (production, dot, origin), packed into one key per chart set for dedup.
    type Item = [number, number, number];
    const sets: Item[][] = [];
    const seen: Set<string>[] = [];
    const addItem = (k: number, item: Item): void => {
      const key = `${item[0]}:${item[1]}:${item[2]}`;
      if (seen[k].has(key)) return;
      seen[k].add(key);
      sets[k].push(item);
    };
    for (let k = 0; k <= input.length; k++) {
      sets.push([]);
      seen.push(new Set());
    }
    for (const p of this.byLhs[this.rootId]) addItem(0, [p, 0, 0]);
    for (let k = 0; k <= input.length; k++) {
      const set = sets[k];
      for (let i = 0; i < set.length; i++) {
        const [p, dot, origin] = set[i];
        const rhs = this.productions[p].rhs;
        if (dot === rhs.length) {
          // Complete: advance every item in the origin set waiting for this nonterminal.
          const lhs = this.productions[p].lhs;
          const waiting = sets[origin];
          for (let j = 0; j < waiting.length; j++) {
            const [wp, wdot, worigin] = waiting[j];
            const next = this.productions[wp].rhs[wdot];
            if (next && 'n' in next && next.n === lhs) addItem(k, [wp, wdot + 1, worigin]);
          }
          continue;
        }
        const symbol = rhs[dot];
        if ('n' in symbol) {
          for (const q of this.byLhs[symbol.n]) addItem(k, [q, 0, k]);
          // A nullable nonterminal completes at once (Aycock and Horspool).
          if (this.nullable[symbol.n]) addItem(k, [p, dot + 1, origin]);
        } else if (k < input.length && symbol.t(input[k])) {
          addItem(k + 1, [p, dot + 1, origin]);
        }
      }
    }
    return sets[input.length].some(
      ([p, dot, origin]) =>
        origin === 0 && this.productions[p].lhs === this.rootId && dot === this.productions[p].rhs.length,
    );
  }
}
