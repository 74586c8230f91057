import { describe, expect, it } from '@jest/globals';
import { candidatesAt, EchoPlan, lastIndexOfSequence, planEcho, TextPlan } from './answer-plan.js';

// ChatML with made-up ids: <|im_start|>=1, user=2, assistant=3, \n=4, <|im_end|>=5.
const MARKERS = { userHeader: [1, 2, 4], assistantHeader: [1, 3, 4], turnEnd: 5 };
const chat = (user: number[], partial: number[] = [], history: number[] = []) => [
  ...history,
  1,
  2,
  4,
  ...user,
  5,
  4,
  1,
  3,
  4,
  ...partial,
];

describe('planEcho', () => {
  it('targets the last user turn', () => {
    const history = [1, 2, 4, 70, 71, 5, 4, 1, 3, 4, 80, 5, 4];
    expect(planEcho(chat([90, 91, 92], [], history), MARKERS)).toEqual({ target: [90, 91, 92], offset: 0 });
  });

  it('continues after a partial answer (resubmission)', () => {
    expect(planEcho(chat([90, 91, 92, 93], [90, 91]), MARKERS)).toEqual({ target: [90, 91, 92, 93], offset: 2 });
  });

  it('skips an empty think block the template put before the answer', () => {
    const think = [200, 4, 4, 201, 4, 4];
    expect(planEcho(chat([90, 91, 92], [...think]), MARKERS).offset).toBe(0);
    expect(planEcho(chat([90, 91, 92], [...think, 90]), MARKERS).offset).toBe(1);
  });

  it('echoes the whole prompt when there is no ChatML user turn', () => {
    expect(planEcho([7, 8, 9], MARKERS)).toEqual({ target: [7, 8, 9], offset: 0 });
  });

  it('gives the concatenated output exactly once across a resubmission', () => {
    const user = [90, 91, 92, 93, 94];
    const first = new EchoPlan(user, 0, 5);
    const partial = [first.intendedAt(0), first.intendedAt(1)];
    const { target, offset } = planEcho(chat(user, partial), MARKERS);
    const second = new EchoPlan(target, offset, 5);
    const rest: number[] = [];
    for (let i = 0; ; i++) {
      const id = second.intendedAt(i);
      if (id === 5) break;
      rest.push(id);
    }
    expect([...partial, ...rest]).toEqual(user);
  });
});

describe('TextPlan', () => {
  it('walks the corpus from its start, then intends EOS', () => {
    const plan = new TextPlan([1, 2, 3], 1, 4, 99);
    expect([0, 1, 2, 3, 4, 5].map((i) => plan.intendedAt(i))).toEqual([2, 3, 1, 2, 99, 99]);
  });
});

describe('candidatesAt', () => {
  it('puts the intended token first with the highest logit, alternatives distinct and deterministic', () => {
    const pool = Array.from({ length: 100 }, (_, i) => i + 1000);
    const a = candidatesAt(5, pool, 1234, 3);
    expect(a[0]).toEqual({ id: 5, logit: expect.any(Number) });
    expect(a.slice(1).every((c) => c.logit < a[0].logit)).toBe(true);
    expect(new Set(a.map((c) => c.id)).size).toBe(a.length);
    expect(candidatesAt(5, pool, 1234, 3)).toEqual(a);
    expect(candidatesAt(5, pool, 1234, 4)).not.toEqual(a);
  });
});

describe('lastIndexOfSequence', () => {
  it('finds the last occurrence at or after a position', () => {
    expect(lastIndexOfSequence([1, 2, 1, 2, 3], [1, 2])).toBe(2);
    expect(lastIndexOfSequence([1, 2, 1, 2, 3], [1, 2], 3)).toBe(-1);
    expect(lastIndexOfSequence([1], [1, 2])).toBe(-1);
  });
});
