import { ConstraintError } from './constraint-error.js';

/**
 * A context-free grammar over Unicode code points, the one form the regex and EBNF constraints
 * compile to (as xgrammar compiles both into one grammar representation).
 */
export type GrammarExpr =
  | { type: 'literal'; text: string }
  | { type: 'class'; ranges: readonly (readonly [number, number])[]; negated: boolean }
  | { type: 'seq'; items: GrammarExpr[] }
  | { type: 'choice'; options: GrammarExpr[] }
  | { type: 'repeat'; item: GrammarExpr; min: number; max: number }
  | { type: 'ref'; name: string };

/** The highest Unicode code point. */
export const MAX_CODE_POINT = 0x10ffff;

/** A character class matches `cp` when `cp` is in one of its ranges (or in none, negated). */
export function classMatches(expr: Extract<GrammarExpr, { type: 'class' }>, cp: number): boolean {
  let inside = false;
  for (const [lo, hi] of expr.ranges) {
    if (cp >= lo && cp <= hi) {
      inside = true;
      break;
    }
  }
  return inside !== expr.negated;
}

/** How short a derivation of an expression can be, and how deep its shallowest derivation tree is. */
export interface Reach {
  /** Fewest code points it derives (Infinity: derives nothing). */
  length: number;
  /** Depth of rule references in its shallowest derivation (Infinity: derives nothing). */
  height: number;
}

const NOTHING: Reach = { length: Infinity, height: Infinity };

export class Grammar {
  /** Per rule: the shortest and the shallowest derivation (the generator's way out of recursion). */
  readonly reach = new Map<string, Reach>();

  constructor(
    readonly rules: ReadonlyMap<string, GrammarExpr>,
    readonly root: string,
  ) {
    for (const [name, expr] of rules)
      forEachRef(expr, (ref) => {
        if (!rules.has(ref)) throw new ConstraintError(`Rule "${ref}" is not defined (referenced by "${name}")`);
      });
    if (!rules.has(root)) throw new ConstraintError(`The root rule with name "${root}" is not found.`);
    this.analyse();
    if (this.reach.get(root)!.length === Infinity)
      throw new ConstraintError(`The grammar derives no string from "${root}"`);
  }

  /** Fixpoint over the rules: a rule's reach is that of its body, references costing one level. */
  private analyse(): void {
    for (const name of this.rules.keys()) this.reach.set(name, NOTHING);
    for (let round = 0, changed = true; changed && round <= this.rules.size * 4 + 8; round++) {
      changed = false;
      for (const [name, expr] of this.rules) {
        const before = this.reach.get(name)!;
        const after = this.reachOf(expr);
        if (after.length < before.length || after.height < before.height) {
          this.reach.set(name, {
            length: Math.min(after.length, before.length),
            height: Math.min(after.height, before.height),
          });
          changed = true;
        }
      }
    }
  }

  reachOf(expr: GrammarExpr): Reach {
    switch (expr.type) {
      case 'literal':
        return { length: codePointLength(expr.text), height: 0 };
      case 'class':
        return classIsEmpty(expr) ? NOTHING : { length: 1, height: 0 };
      case 'seq': {
        let length = 0;
        let height = 0;
        for (const item of expr.items) {
          const r = this.reachOf(item);
          length += r.length;
          height = Math.max(height, r.height);
        }
        return { length, height };
      }
      case 'choice': {
        let length = Infinity;
        let height = Infinity;
        for (const option of expr.options) {
          const r = this.reachOf(option);
          length = Math.min(length, r.length);
          height = Math.min(height, r.height);
        }
        return { length, height };
      }
      case 'repeat': {
        if (expr.min === 0) return { length: 0, height: 0 };
        const r = this.reachOf(expr.item);
        return { length: r.length * expr.min, height: r.height };
      }
      case 'ref': {
        const r = this.reach.get(expr.name) ?? NOTHING;
        return { length: r.length, height: r.height + 1 };
      }
    }
  }
}

function classIsEmpty(expr: Extract<GrammarExpr, { type: 'class' }>): boolean {
  if (!expr.negated) return expr.ranges.every(([lo, hi]) => hi < lo);
  // A negated class is empty only when its ranges cover every code point.
  const sorted = [...expr.ranges].filter(([lo, hi]) => hi >= lo).sort((a, b) => a[0] - b[0]);
  let next = 0;
  for (const [lo, hi] of sorted) {
    if (lo > next) return false;
    next = Math.max(next, hi + 1);
  }
  return next > MAX_CODE_POINT;
}

export function forEachRef(expr: GrammarExpr, visit: (name: string) => void): void {
  switch (expr.type) {
    case 'ref':
      visit(expr.name);
      return;
    case 'seq':
      for (const item of expr.items) forEachRef(item, visit);
      return;
    case 'choice':
      for (const option of expr.options) forEachRef(option, visit);
      return;
    case 'repeat':
      forEachRef(expr.item, visit);
      return;
    case 'literal':
    case 'class':
      return;
  }
}

export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) i++;
    n++;
  }
  return n;
}

/** Builders that keep the parsers short. */
export const g = {
  literal: (text: string): GrammarExpr => ({ type: 'literal', text }),
  seq: (items: GrammarExpr[]): GrammarExpr => (items.length === 1 ? items[0] : { type: 'seq', items }),
  choice: (options: GrammarExpr[]): GrammarExpr => (options.length === 1 ? options[0] : { type: 'choice', options }),
  repeat: (item: GrammarExpr, min: number, max: number): GrammarExpr => ({ type: 'repeat', item, min, max }),
  ref: (name: string): GrammarExpr => ({ type: 'ref', name }),
  cls: (ranges: (readonly [number, number])[], negated = false): GrammarExpr => ({ type: 'class', ranges, negated }),
};
