import type { Random } from './random.js';

/** One entry of the explicit next-token distribution: a token id and its logit. */
export interface Candidate {
  id: number;
  logit: number;
}

export interface SamplingSettings {
  /** 0 (or below 1e-5) means greedy. */
  temperature: number;
  /** Keep the smallest set of most likely tokens whose probability reaches top_p. */
  topP: number;
  /** Keep the k most likely tokens; 0 or negative disables. */
  topK: number;
  /** Drop tokens less likely than `minP` times the most likely one; 0 (or absent) disables. */
  minP?: number;
}

export interface SampledToken {
  id: number;
  /** Log-probability of `id` under the distribution it was drawn from. */
  logprob: number;
  /** The distribution it was drawn from, most likely first (id, log-probability). */
  distribution: { id: number; logprob: number }[];
}

const GREEDY_EPSILON = 1e-5;

function logSoftmax(logits: number[]): number[] {
  let max = -Infinity;
  for (const l of logits) if (l > max) max = l;
  let sum = 0;
  for (const l of logits) sum += Math.exp(l - max);
  const logSum = max + Math.log(sum);
  return logits.map((l) => l - logSum);
}

/**
 * Samples one token from an explicit distribution over `candidates`.
 *
 * Sampling: softmax(logits / temperature), then top-k, then top-p (nucleus), then min-p, renormalised; the
 * reported log-probability is that of the drawn token under this final distribution, so empirical
 * frequencies over many seeded draws match `exp(logprob)`.
 * Greedy (temperature 0): the argmax; its log-probability is reported under the untempered
 * distribution (softmax of the raw logits), as engines report it.
 */
export function sampleToken(
  candidates: readonly Candidate[],
  settings: SamplingSettings,
  random: Random,
): SampledToken {
  if (candidates.length === 0) throw new Error('no candidates to sample from');
  if (settings.temperature < GREEDY_EPSILON) {
    const logprobs = logSoftmax(candidates.map((c) => c.logit));
    const order = candidates.map((c, i) => ({ id: c.id, logprob: logprobs[i] })).sort((a, b) => b.logprob - a.logprob);
    return { id: order[0].id, logprob: order[0].logprob, distribution: order };
  }
  const scaled = logSoftmax(candidates.map((c) => c.logit / settings.temperature));
  let kept = candidates.map((c, i) => ({ id: c.id, logprob: scaled[i] })).sort((a, b) => b.logprob - a.logprob);
  if (settings.topK > 0 && settings.topK < kept.length) kept = kept.slice(0, settings.topK);
  if (settings.topP < 1) {
    let cumulative = 0;
    let cut = kept.length;
    for (let i = 0; i < kept.length; i++) {
      cumulative += Math.exp(kept[i].logprob);
      if (cumulative >= settings.topP) {
        cut = i + 1;
        break;
      }
    }
    kept = kept.slice(0, cut);
  }
  const minP = settings.minP ?? 0;
  if (minP > 0) {
    // p / p_max >= min_p, in log space; the most likely token always survives.
    const threshold = kept[0].logprob + Math.log(minP);
    kept = kept.filter((k) => k.logprob >= threshold);
  }
  // Renormalise what survived the truncations.
  const renormalised = logSoftmax(kept.map((k) => k.logprob));
  const distribution = kept.map((k, i) => ({ id: k.id, logprob: renormalised[i] }));
  const u = random.next();
  let cumulative = 0;
  for (const entry of distribution) {
    cumulative += Math.exp(entry.logprob);
    if (u < cumulative) return { id: entry.id, logprob: entry.logprob, distribution };
  }
  const last = distribution[distribution.length - 1];
  return { id: last.id, logprob: last.logprob, distribution };
}
