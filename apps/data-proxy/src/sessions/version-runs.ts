/**
 * The weight version of each generated token, stored as runs. Weights change rarely within one
 * answer (an update lands between segments of a paused and resubmitted request), so an answer of
 * hundreds of tokens holds one or two runs instead of 4 bytes per token. Iterates, spreads and
 * `Array.from`s like the `Int32Array` it was made from.
 */
export class VersionRuns implements Iterable<number> {
  private constructor(
    readonly length: number,
    /** The version of every token when there is a single run (or none). */
    private readonly only: number,
    /** Otherwise: version, then the index one past the run's last token, for each run in order. */
    private readonly runs: readonly number[] | null,
  ) {}

  static readonly empty = new VersionRuns(0, 0, null);

  static of(versions: ArrayLike<number> | VersionRuns): VersionRuns {
    if (versions instanceof VersionRuns) return versions;
    const length = versions.length;
    if (length === 0) return VersionRuns.empty;
    let runs: number[] | null = null;
    for (let i = 1; i < length; i++) {
      if (versions[i] === versions[i - 1]) continue;
      (runs ??= []).push(versions[i - 1], i);
    }
    if (runs === null) return new VersionRuns(length, versions[0], null);
    runs.push(versions[length - 1], length);
    return new VersionRuns(length, 0, runs);
  }

  *[Symbol.iterator](): IterableIterator<number> {
    if (this.runs === null) {
      for (let i = 0; i < this.length; i++) yield this.only;
      return;
    }
    let i = 0;
    for (let r = 0; r < this.runs.length; r += 2) for (const end = this.runs[r + 1]; i < end; i++) yield this.runs[r];
  }

  /** The versions one per token, as recorded (the journal writes these bytes). */
  toInt32Array(): Int32Array {
    const out = new Int32Array(this.length);
    if (this.runs === null) return out.fill(this.only);
    let start = 0;
    for (let r = 0; r < this.runs.length; r += 2) {
      out.fill(this.runs[r], start, this.runs[r + 1]);
      start = this.runs[r + 1];
    }
    return out;
  }
}
