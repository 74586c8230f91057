import { expect } from '@jest/globals';
import { Ajv } from 'ajv';
import type { EngineSampling, GenerationConstraint } from '../../../apps/data-proxy/src/inference/engine-backend.js';
import type { Exchange, Sample } from './harness.js';

/** The effects a sample checks, and the samples and conversation shapes more than one API uses as they are. */

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

/** OpenAI's error shape naming `field` (or a part of it) in `param`. */
export function expectOpenAiRefusal(x: Exchange, field: string): void {
  expect(x.status).toBeGreaterThanOrEqual(400);
  expect(x.status).toBeLessThan(500);
  expect(x.json.error).toEqual(expect.objectContaining({ message: expect.any(String), param: expect.any(String) }));
  const param = x.json.error.param as string;
  expect(param === field || param.startsWith(`${field}.`) || param.startsWith(`${field}[`)).toBe(true);
}

/** Fields every API serves with the same meaning: the answer's model name, no recording, the engine's sampling. */
export const COMMON_FIELD_SAMPLES = {
  model: [{ value: 'my-model', check: (x) => expect(x.json.model).toBe('my-model') }],
  store: [{ value: false, check: notRecorded }],
  temperature: [{ value: 0.5, check: engineGot('temperature', 0.5) }],
  top_p: [{ value: 0.9, check: engineGot('topP', 0.9) }],
  top_k: [{ value: 5, check: engineGot('topK', 5) }],
  min_p: [{ value: 0.1, check: engineGot('minP', 0.1) }],
  repetition_penalty: [{ value: 1.1, check: engineGot('repetitionPenalty', 1.1) }],
  seed: [{ value: 7, check: engineGot('seed', 7) }],
} satisfies Record<string, Sample[]>;

/** OpenAI's chat-completion chunks and completion chunks end with `[DONE]` and may carry usage. */
export const OPENAI_STREAM_SAMPLES = {
  stream: [
    {
      value: true,
      check: (x, base) => {
        expect(x.events?.at(-1)).toBe('[DONE]');
        expect(x.content).toBe(base.content);
      },
    },
  ],
  stream_options: [
    {
      value: { include_usage: true },
      with: { stream: true },
      check: (x) => expect(x.events?.some((e) => typeof e === 'object' && e.usage)).toBe(true),
    },
  ],
} satisfies Record<string, Sample[]>;

/** One content part of `type` per text. */
export const textParts = (type: string, ...texts: string[]): { type: string; text: string }[] =>
  texts.map((text) => ({ type, text }));

/** An instruction sent in a turn of `role` before the user's turn; every API renders it as the system turn. */
export const instructedAs = (role: string): Record<string, unknown>[] => [
  { role, content: 'Be brief.' },
  { role: 'user', content: 'hi' },
];
export const systemRendered = promptHas('<|im_start|>system\nBe brief.<|im_end|>');

/** A user turn, an assistant turn (`assistant`: the rest of its message) and the user's next turn `next`. */
export const aroundAssistant = (assistant: Record<string, unknown>, next = 'c'): Record<string, unknown>[] => [
  { role: 'user', content: 'a' },
  { role: 'assistant', ...assistant },
  { role: 'user', content: next },
];
/** The earlier assistant turn reached the prompt as `text`. */
export const assistantRendered = (text: string) => promptHas(`<|im_start|>assistant\n${text}<|im_end|>`);
