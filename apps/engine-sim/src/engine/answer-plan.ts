import { hashIds, mix } from './random.js';
import type { Candidate } from './sampler.js';

/**
 * What the simulated "model" means to say: the intended token at each output position. The
 * engine turns it into an explicit distribution (the intended token plus a few alternatives) and
 * samples from that, so sampling settings and seeds behave as on a real engine.
 */
export interface AnswerPlan {
  intendedAt(position: number): number;
}

/**
 * Margin that makes the intended token near-certain at temperature 1 (≈ 6e-8 chance of a detour
 * per token), so echo answers come back intact at default sampling, while higher temperatures
 * still spread probability over the alternatives.
 */
const INTENDED_LOGIT = 20;
const ALTERNATIVES = 7;

/** Readable text from the built-in corpus, then EOS after `length` tokens. */
export class TextPlan implements AnswerPlan {
  constructor(
    private readonly corpus: readonly number[],
    private readonly start: number,
    private readonly length: number,
    private readonly eosId: number,
  ) {}

  intendedAt(position: number): number {
    if (position >= this.length) return this.eosId;
    return this.corpus[(this.start + position) % this.corpus.length];
  }
}

/** Repeats `target` (the last user turn), continuing from `offset`, then EOS. */
export class EchoPlan implements AnswerPlan {
  constructor(
    private readonly target: readonly number[],
    private readonly offset: number,
    private readonly eosId: number,
  ) {}

  intendedAt(position: number): number {
    const index = this.offset + position;
    return index < this.target.length ? this.target[index] : this.eosId;
  }
}

/** Finds the last occurrence of `needle` in `haystack` at or after `from`; -1 if absent. */
export function lastIndexOfSequence(haystack: readonly number[], needle: readonly number[], from = 0): number {
  outer: for (let i = haystack.length - needle.length; i >= from; i--) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

export interface ChatMarkers {
  /** Ids of `<|im_start|>user\n` (ChatML). */
  userHeader: number[];
  /** Ids of `<|im_start|>assistant\n`. */
  assistantHeader: number[];
  /** Id of `<|im_end|>`. */
  turnEnd: number;
}

/**
 * Echo mode's target and where to resume it. The target is the last user turn's content, taken as
 * token ids straight from the prompt (so it decodes back to exactly what the user sent). If the
 * prompt already ends with part of the answer after the final assistant header (a resubmission
 * after an abort), the answer continues after that part, so the concatenated output is the user
 * turn exactly once. A prompt without ChatML turns is echoed whole.
 */
export function planEcho(prompt: readonly number[], markers: ChatMarkers): { target: number[]; offset: number } {
  const userAt = lastIndexOfSequence(prompt, markers.userHeader);
  if (userAt < 0) return { target: [...prompt], offset: 0 };
  const contentStart = userAt + markers.userHeader.length;
  let contentEnd = prompt.indexOf(markers.turnEnd, contentStart);
  if (contentEnd < 0) contentEnd = prompt.length;
  const target = prompt.slice(contentStart, contentEnd);
  const assistantAt = lastIndexOfSequence(prompt, markers.assistantHeader, contentEnd);
  if (assistantAt < 0) return { target, offset: 0 };
  const partial = prompt.slice(assistantAt + markers.assistantHeader.length);
  // The longest tail of what follows the header that is a prefix of the target (the template may
  // have put an empty <think></think> block before the answer).
  for (let skip = 0; skip < partial.length; skip++) {
    const tail = partial.length - skip;
    if (tail > target.length) continue;
    let matches = true;
    for (let j = 0; j < tail; j++) {
      if (partial[skip + j] !== target[j]) {
        matches = false;
        break;
      }
    }
    if (matches) return { target, offset: tail };
  }
  return { target, offset: 0 };
}

/**
 * The explicit distribution at one step: the intended token with a high logit, and a few
 * alternatives from `pool` chosen deterministically from the context fingerprint and position.
 */
export function candidatesAt(
  intended: number,
  pool: readonly number[],
  contextHash: number,
  position: number,
): Candidate[] {
  const candidates: Candidate[] = [{ id: intended, logit: INTENDED_LOGIT }];
  const seen = new Set<number>([intended]);
  for (let j = 0; candidates.length <= ALTERNATIVES && j < ALTERNATIVES * 3; j++) {
    const h = mix(contextHash, position, j);
    const id = pool[h % pool.length];
    if (seen.has(id)) continue;
    seen.add(id);
    candidates.push({ id, logit: 3 * ((h >>> 8) / 0x1000000) });
  }
  return candidates;
}

export { hashIds };
