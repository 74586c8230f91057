import { describe, expect, it } from '@jest/globals';
import { Random } from './random.js';
import { sampleToken, type Candidate } from './sampler.js';

const CANDIDATES: Candidate[] = [
  { id: 10, logit: 2.0 },
  { id: 20, logit: 1.0 },
  { id: 30, logit: 0.5 },
  { id: 40, logit: -1.0 },
];

function logSumExp(values: number[]): number {
  const max = Math.max(...values);
  return max + Math.log(values.reduce((sum, v) => sum + Math.exp(v - max), 0));
}

describe('sampleToken', () => {
  it('greedy picks the argmax and reports its untempered log-probability', () => {
    const result = sampleToken(CANDIDATES, { temperature: 0, topP: 1, topK: -1 }, new Random(1));
    expect(result.id).toBe(10);
    const expected = 2.0 - logSumExp(CANDIDATES.map((c) => c.logit));
    expect(result.logprob).toBeCloseTo(expected, 10);
    expect(result.distribution[0].id).toBe(10);
  });

  it('reports the log-probability under the tempered distribution it sampled from', () => {
    const temperature = 0.7;
    const result = sampleToken(CANDIDATES, { temperature, topP: 1, topK: -1 }, new Random(3));
    const scaled = CANDIDATES.map((c) => c.logit / temperature);
    const candidate = CANDIDATES.find((c) => c.id === result.id)!;
    expect(result.logprob).toBeCloseTo(candidate.logit / temperature - logSumExp(scaled), 10);
  });

  it('draws with empirical frequencies that match exp(logprob)', () => {
    const random = new Random(42);
    const counts = new Map<number, number>();
    const logprobs = new Map<number, number>();
    const draws = 40_000;
    for (let i = 0; i < draws; i++) {
      const result = sampleToken(CANDIDATES, { temperature: 1, topP: 1, topK: -1 }, random);
      counts.set(result.id, (counts.get(result.id) ?? 0) + 1);
      logprobs.set(result.id, result.logprob);
    }
    for (const [id, count] of counts) {
      expect(Math.abs(count / draws - Math.exp(logprobs.get(id)!))).toBeLessThan(0.01);
    }
    expect(counts.size).toBe(4);
  });

  it('top_k keeps only the k most likely tokens, renormalised', () => {
    const random = new Random(7);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const result = sampleToken(CANDIDATES, { temperature: 1, topP: 1, topK: 2 }, random);
      seen.add(result.id);
      const expected = result.id === 10 ? 2.0 - logSumExp([2.0, 1.0]) : 1.0 - logSumExp([2.0, 1.0]);
      expect(result.logprob).toBeCloseTo(expected, 10);
    }
    expect(seen).toEqual(new Set([10, 20]));
  });

  it('top_p keeps the smallest set reaching the probability mass', () => {
    // p(10) ≈ 0.59, p(10)+p(20) ≈ 0.81: top_p 0.7 keeps exactly {10, 20}.
    const random = new Random(9);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++)
      seen.add(sampleToken(CANDIDATES, { temperature: 1, topP: 0.7, topK: -1 }, random).id);
    expect(seen).toEqual(new Set([10, 20]));
    const tiny = sampleToken(CANDIDATES, { temperature: 1, topP: 0.01, topK: -1 }, new Random(1));
    expect(tiny.id).toBe(10);
    expect(tiny.logprob).toBe(0);
  });

  it('min_p drops tokens less likely than min_p times the most likely, renormalised', () => {
    // p ≈ [0.59, 0.22, 0.13, 0.03]: min_p 0.3 keeps p >= 0.18, i.e. {10, 20}.
    const random = new Random(11);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const result = sampleToken(CANDIDATES, { temperature: 1, topP: 1, topK: -1, minP: 0.3 }, random);
      seen.add(result.id);
      const logit = CANDIDATES.find((c) => c.id === result.id)!.logit;
      expect(result.logprob).toBeCloseTo(logit - logSumExp([2.0, 1.0]), 10);
    }
    expect(seen).toEqual(new Set([10, 20]));
    expect(sampleToken(CANDIDATES, { temperature: 1, topP: 1, topK: -1, minP: 1 }, new Random(1)).id).toBe(10);
  });

  it('min_p 0 leaves the distribution exactly as without it', () => {
    const plain = sampleToken(CANDIDATES, { temperature: 0.8, topP: 0.9, topK: 3 }, new Random(4));
    expect(sampleToken(CANDIDATES, { temperature: 0.8, topP: 0.9, topK: 3, minP: 0 }, new Random(4))).toEqual(plain);
  });

  it('is deterministic for a seed', () => {
    const run = (seed: number) => {
      const random = new Random(seed);
      return Array.from(
        { length: 50 },
        () => sampleToken(CANDIDATES, { temperature: 1.5, topP: 1, topK: -1 }, random).id,
      );
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });
});
