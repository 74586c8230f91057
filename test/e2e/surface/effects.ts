import { expect } from '@jest/globals';
import { Ajv } from 'ajv';
import type { EngineSampling, GenerationConstraint } from '../../../apps/data-proxy/src/inference/engine-backend.js';
import type { Exchange } from './harness.js';

/** The effects a sample checks, shared by the four APIs. */

export const CALCULATOR_CALL =
  '<tool_call>\n{"name": "calculator", "arguments": {"expression": "6 * 7"}}\n</tool_call>';
export const SCHEMA = {
  type: 'object',
  properties: { answer: { type: 'integer' }, unit: { type: 'string', enum: ['m', 'km'] } },
  required: ['answer', 'unit'],
  additionalProperties: false,
};

const ajv = new Ajv();

export const engineGot =
  <K extends keyof EngineSampling>(key: K, value: EngineSampling[K]) =>
  (x: Exchange): void =>
    expect(x.input?.sampling[key]).toEqual(value);

export const constrainedTo =
  (constraint: GenerationConstraint) =>
  (x: Exchange): void =>
    expect(x.input?.sampling.constraint).toEqual(constraint);

export const budget =
  (tokens: number) =>
  (x: Exchange): void =>
    expect(x.input?.maxNewTokens).toBe(tokens);

export const notRecorded = (x: Exchange): void => expect(x.recorded).toBeUndefined();

/** The template was told enable_thinking: false (Qwen3 writes an empty think block after the header). */
export const thinkingOff = (x: Exchange): void => expect(x.prompt.endsWith('<think>\n\n</think>\n\n')).toBe(true);
export const thinkingOn = (x: Exchange): void => expect(x.prompt.endsWith('<|im_start|>assistant\n')).toBe(true);

export const contentIs =
  (text: string) =>
  (x: Exchange): void =>
    expect(x.content).toBe(text);

export const promptHas =
  (text: string) =>
  (x: Exchange): void =>
    expect(x.prompt).toContain(text);

/** The real effect of a JSON-schema constraint: the answer parses and validates against the schema. */
export const validatesAgainst =
  (schema: object) =>
  (x: Exchange): void => {
    const value: unknown = JSON.parse(x.content);
    expect([ajv.validate(schema, value), ajv.errorsText(ajv.errors)]).toEqual([true, 'No errors']);
  };

export const isJsonObject = (x: Exchange): void => {
  const value: unknown = JSON.parse(x.content);
  expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true);
};

export const matches =
  (pattern: RegExp) =>
  (x: Exchange): void =>
    expect(x.content).toMatch(pattern);

/** Several checks as one; it asks for the baseline answer only when one of them does. */
export function all(...checks: ((x: Exchange, base: Exchange) => void)[]): (x: Exchange, base?: Exchange) => void {
  if (checks.some((check) => check.length >= 2))
    return (x: Exchange, base?: Exchange): void => {
      for (const check of checks) check(x, base ?? x);
    };
  return (x: Exchange): void => {
    for (const check of checks) check(x, x);
  };
}

/** OpenAI-style token log-probs: one per generated token, exactly the recorded ones, k alternatives each. */
export function expectTokenLogprobs(
  entries: { token: string; logprob: number; top_logprobs?: { token: string; logprob: number }[] }[],
  x: Exchange,
  k: number,
): void {
  expect(x.recorded).toBeDefined();
  expect(entries.map((e) => e.logprob)).toEqual(x.recorded!.output_logprobs);
  for (const entry of entries) {
    expect(entry.top_logprobs ?? []).toHaveLength(k);
    // The sampled token is among its alternatives, with the log-prob that was recorded for it.
    if (k > 0) expect(entry.top_logprobs!.find((t) => t.token === entry.token)?.logprob).toBe(entry.logprob);
  }
}
