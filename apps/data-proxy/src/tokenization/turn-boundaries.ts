import type { HfTokenizer, TokenFamily } from '@app/tokenizer';

/**
 * Where turns end in a family's token sequences, for `concat` prompts: the parent's answer is
 * closed the way the template closes it in history, and the child's new messages are found after
 * as many turn ends in the re-rendered conversation as the parent's tokens hold.
 *
 * - ChatML, DeepSeek and unknown families: the EOS (`<|im_end|>`, `<｜end▁of▁sentence｜>`), the
 *   reference's rule.
 * - Llama 3: `<|eot_id|>`, and `<|eom_id|>` for a tool call made in the ipython environment (the
 *   template writes the call back with the `<|eom_id|>` it ended with).
 * - Harmony (gpt-oss): every message ends with `<|end|>`, `<|call|>` or `<|return|>`, and one turn
 *   of the assistant is several messages (analysis, then a call or the final answer). A turn ends
 *   at a message end that is not followed by another assistant message, so the analysis the
 *   template drops from earlier turns changes nothing in the count. The template writes a final
 *   answer back with `<|end|>` (`<|return|>` is a stop token only) and a call with `<|call|>`.
 */
export class TurnBoundaries {
  /**
   * The (at most three) turn-end ids, as fields: `count` and `find` scan a whole 15k-token prompt
   * each concat turn, and three comparisons cost a tenth of a set lookup per token.
   */
  private readonly end0: number;
  private readonly end1: number;
  private readonly end2: number;

  private constructor(
    ends: readonly number[],
    private readonly closers: ReadonlyMap<number, number>,
    private readonly defaultCloser: number,
    /** Harmony: `[<|start|>, assistant]`, the opening of another message of the same turn. */
    private readonly continuation: readonly [number, number] | null,
  ) {
    [this.end0, this.end1 = -1, this.end2 = -1] = ends;
  }

  /** Null when the tokenizer has no EOS (concat mode then templates every turn). */
  static of(tokenizer: HfTokenizer, family: TokenFamily): TurnBoundaries | null {
    const id = (token: string): number | null => tokenizer.tokenToId(token);
    if (family === 'harmony') {
      const [end, call, ret, start] = [id('<|end|>'), id('<|call|>'), id('<|return|>'), id('<|start|>')];
      const assistant = tokenizer.tokenToId('assistant');
      if (end !== null && call !== null && ret !== null && start !== null && assistant !== null)
        return new TurnBoundaries([end, call, ret], new Map([[call, call]]), end, [start, assistant]);
    }
    if (family === 'llama3') {
      const [eot, eom] = [id('<|eot_id|>'), id('<|eom_id|>')];
      if (eot !== null)
        return new TurnBoundaries(
          eom === null ? [eot] : [eot, eom],
          new Map(eom === null ? [] : [[eom, eom]]),
          eot,
          null,
        );
    }
    const eos = tokenizer.eosTokenId;
    return eos === null ? null : new TurnBoundaries([eos], new Map(), eos, null);
  }

  /** The id that closes an answer in history, given the stop token the answer ended with (null: none, cut off). */
  closer(stopId: number | null): number {
    return stopId === null ? this.defaultCloser : (this.closers.get(stopId) ?? this.defaultCloser);
  }

  isBoundary(ids: ArrayLike<number>, i: number): boolean {
    const id = ids[i];
    if (id !== this.end0 && id !== this.end1 && id !== this.end2) return false;
    if (!this.continuation) return true;
    return !(ids[i + 1] === this.continuation[0] && ids[i + 2] === this.continuation[1]);
  }

  /**
   * How many ids after a turn end `isBoundary` also reads (Harmony looks for another message of the
   * same turn): whether an id is a turn end is settled once these follow it.
   */
  get lookahead(): number {
    return this.continuation ? 2 : 0;
  }

  /** Turn ends at positions `from` to `to` (excluded) of `ids`. */
  count(ids: ArrayLike<number>, from = 0, to = ids.length): number {
    let n = 0;
    for (let i = from; i < to; i++) if (this.isBoundary(ids, i)) n++;
    return n;
  }

  /**
   * Index of the `k`-th turn end (1-based) in `ids`, or -1; scanning from `from`, where `seen` turn
   * ends come before it.
   */
  find(ids: ArrayLike<number>, k: number, from = 0, seen = 0): number {
    for (let i = from; i < ids.length; i++) if (this.isBoundary(ids, i) && ++seen === k) return i;
    return -1;
  }
}
