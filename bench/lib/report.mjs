// What a scenario prints, and its verdict, from one place: every bar a row shows is the bar that
// row is judged by, so a printed bar cannot disagree with the verdict.

const OPERATORS = { atMost: '≤', atLeast: '≥' };

function meets(value, limit, kind) {
  if (!Number.isFinite(value)) return false;
  return kind === 'atMost' ? value <= limit : value >= limit;
}

/**
 * @typedef {{ label: string, value: string, verdict: string }} Row
 * @typedef {{ label: string, value: number, unit: string, bar: number, kind: 'atMost' | 'atLeast',
 *   goal?: number, met: boolean, goalMet?: boolean, judged: boolean }} BarOutcome
 */

/**
 * A scenario's report. `quick`: figures are printed and their bars shown, but only checks
 * (correctness: nothing lost, no errors) decide the verdict (see bench/run.mjs).
 */
export class Report {
  /** @type {Row[]} */
  rows = [];
  /** @type {BarOutcome[]} */
  bars = [];
  /** @type {{ label: string, ok: boolean }[]} */
  checks = [];
  /** Goals without a first bar: reported, never judged. */
  goals = [];

  constructor({ quick }) {
    this.quick = quick;
  }

  /** A figure shown as it is, judged by nothing. */
  figure(label, value) {
    this.rows.push({ label, value: String(value), verdict: '' });
  }

  /** Correctness (nothing lost, no errors, counts that must match): judged in every run. */
  check(label, value, ok) {
    this.checks.push({ label, ok });
    this.rows.push({ label, value: String(value), verdict: ok ? 'ok' : 'FAILED' });
  }

  /**
   * A figure with its first bar and goal (docs/BENCHMARKS.md, "Scenarios and bars"): a missed bar
   * fails a full run; a goal is shown as met or not yet, and fails nothing.
   * @param {string} label what is measured, without the bar
   * @param {number} value the figure, in `unit`
   * @param {{ atMost?: number, atLeast?: number, goal?: number, unit?: string, digits?: number }} limits
   */
  bar(label, value, { atMost, atLeast, goal, unit = '', digits = 2 }) {
    this.#limited(label, value, { atMost, atLeast, goal, unit, digits, hasBar: true });
  }

  /** A figure with a goal and no first bar: shown as met or not yet, fails nothing. */
  goal(label, value, { atMost, atLeast, unit = '', digits = 2 }) {
    this.#limited(label, value, { atMost, atLeast, goal: atMost ?? atLeast, unit, digits, hasBar: false });
  }

  #limited(label, value, { atMost, atLeast, goal, unit, digits, hasBar }) {
    const kind = atMost !== undefined ? 'atMost' : 'atLeast';
    const limit = atMost ?? atLeast;
    if (limit === undefined) throw new Error(`"${label}": give atMost or atLeast`);
    const op = OPERATORS[kind];
    const withUnit = (n) => `${n}${unit ? ` ${unit}` : ''}`;
    const goalMet = goal === undefined ? undefined : meets(value, goal, kind);
    let limits;
    let verdict;
    if (hasBar) {
      const met = meets(value, limit, kind);
      const judged = !this.quick;
      this.bars.push({ label, value, unit, bar: limit, kind, goal, met, goalMet, judged });
      limits = `bar ${op} ${withUnit(limit)}${goal === undefined ? '' : `, goal ${op} ${withUnit(goal)}`}`;
      if (!judged) verdict = `${met ? 'within' : 'outside'} the bar (not judged: quick)`;
      else if (!met) verdict = 'FAILED';
      else if (goal === undefined) verdict = 'ok';
      else verdict = goalMet ? 'ok, goal met' : 'ok, goal not yet';
    } else {
      this.goals.push({ label, value, unit, goal, kind, goalMet });
      limits = `goal ${op} ${withUnit(goal)}`;
      verdict = goalMet ? 'goal met' : 'goal not yet';
    }
    this.rows.push({
      label: `${label} (${limits})`,
      value: Number.isFinite(value) ? withUnit(value.toFixed(digits)) : 'n/a',
      verdict,
    });
  }

  /** Whether the scenario passed: every check, and in a full run every bar. */
  get ok() {
    return this.checks.every((c) => c.ok) && this.bars.every((b) => !b.judged || b.met);
  }

  /** The rows as printed lines: label, value, verdict in columns. */
  lines() {
    const all = [...this.rows, { label: 'verdict', value: this.ok ? 'ok' : 'FAILED', verdict: '' }];
    const labelWidth = Math.max(...all.map((r) => r.label.length));
    const valueWidth = Math.max(...all.map((r) => r.value.length));
    return all.map((r) => `  ${r.label.padEnd(labelWidth)}  ${r.value.padEnd(valueWidth)}  ${r.verdict}`.trimEnd());
  }
}
