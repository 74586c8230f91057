import { expect } from '@jest/globals';
import { COMPLETIONS_SURFACE } from '@app/contracts';
import * as effect from './effects.js';
import type { ApiUnderTest, Exchange, FieldSamples, KindSamples } from './harness.js';

export const COMPLETIONS: ApiUnderTest = {
  name: 'completions',
  path: '/v1/completions',
  surface: COMPLETIONS_SURFACE,
  // A raw prompt is echoed whole (it has no chat turns); stop before the end of text is reached.
  base: { model: 'default', prompt: 'hello there', max_tokens: 8 },
  answerId: ({ json, events }) => json?.id ?? events?.[0]?.id,
  content: ({ json, events }) =>
    json
      ? (json.choices[0].text as string)
      : (events ?? [])
          .filter((e) => typeof e === 'object' && Array.isArray(e.choices) && e.choices.length > 0)
          .map((e) => e.choices[0].text as string)
          .join(''),
  expectRefusal: effect.expectOpenAiRefusal,
};

type Logprobs = { tokens: string[]; token_logprobs: number[]; top_logprobs: Record<string, number>[] | null };

function expectCompletionLogprobs(logprobs: Logprobs, x: Exchange, k: number): void {
  expect(logprobs.token_logprobs).toEqual(x.recorded?.output_logprobs);
  expect(logprobs.tokens).toHaveLength(logprobs.token_logprobs.length);
  if (k === 0) return expect(logprobs.top_logprobs).toBeNull();
  logprobs.top_logprobs!.forEach((alternatives, i) => {
    expect(Object.keys(alternatives)).toHaveLength(k);
    expect(alternatives[logprobs.tokens[i]]).toBe(logprobs.token_logprobs[i]);
  });
}

export const COMPLETIONS_FIELD_SAMPLES: FieldSamples<typeof COMPLETIONS_SURFACE> = {
  ...effect.COMMON_FIELD_SAMPLES,
  prompt: [
    { value: 'raw text', check: (x) => expect(x.prompt).toBe('raw text') },
    { value: [[9707, 1052]], check: (x) => expect(x.input?.promptIds).toEqual([9707, 1052]) },
  ],
  best_of: [{ value: 1 }, { value: 2 }],
  echo: [{ value: false }, { value: true }],
  frequency_penalty: [{ value: 0.5, check: effect.engineGot('frequencyPenalty', 0.5) }],
  logit_bias: [{ value: { '1': 5 } }],
  logprobs: [
    { value: 0, check: (x) => expectCompletionLogprobs(x.json.choices[0].logprobs as Logprobs, x, 0) },
    {
      value: 0,
      with: { stream: true },
      check: (x) => {
        const chunks = (x.events ?? []).filter((e) => typeof e === 'object' && e.choices?.[0]?.logprobs);
        const logprobs = chunks.map((e) => e.choices[0].logprobs as Logprobs);
        expect(logprobs.flatMap((l) => l.token_logprobs)).toEqual(x.recorded?.output_logprobs);
      },
    },
    {
      value: 2,
      check: effect.all(effect.engineGot('topLogprobs', 2), (x) =>
        expectCompletionLogprobs(x.json.choices[0].logprobs as Logprobs, x, 2),
      ),
    },
  ],
  max_tokens: [{ value: 3, group: 'budget', check: effect.budget(3) }],
  n: [{ value: 1 }, { value: 2 }],
  presence_penalty: [{ value: 0.5, check: effect.engineGot('presencePenalty', 0.5) }],
  stop: [{ value: ' STOP', with: { prompt: 'one two STOP three' }, check: effect.contentIs('one two') }],
  ...effect.OPENAI_STREAM_SAMPLES,
  suffix: [{ value: '' }, { value: 'the end' }],
  user: [{ value: 'user-1' }],
  ignore_eos: [{ value: true, check: effect.engineGot('ignoreEos', true) }],
  skip_special_tokens: [{ value: true, with: { prompt: 'a<|vision_start|>b' }, check: effect.contentIs('ab') }],
  return_token_ids: [
    {
      value: true,
      check: (x) => {
        expect(x.json.choices[0].prompt_token_ids).toEqual(x.recorded?.prompt_ids);
        expect(x.json.choices[0].token_ids).toEqual(x.recorded?.output_ids);
      },
    },
  ],
};

export const COMPLETIONS_KIND_SAMPLES: KindSamples<typeof COMPLETIONS_SURFACE> = {};
