import { beforeAll, describe, expect, it } from '@jest/globals';
import { AppException } from '@app/common';
import { statusOf } from '@app/common/testing';
import { HfTokenizer } from '@app/tokenizer';
import { isRefused, parseGenerateRequest, type GenerateElement } from './generate-request.js';
import {
  answerText,
  generateOutput,
  newAnswer,
  refusedOutput,
  StreamedText,
  versionSpans,
  type GenerateAnswer,
} from './generate-response.js';

const EOS = [151645, 151643];
const VOCAB = 151669;
const parse = (body: unknown) => parseGenerateRequest(body, EOS, VOCAB);
const element = (body: unknown, i = 0): GenerateElement => {
  const found = parse(body).elements[i];
  if (isRefused(found)) throw found.error;
  return found;
};
const refusal = (body: unknown): string => {
  expect(statusOf(() => parse(body))).toBe(400);
  try {
    parse(body);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('accepted');
};

describe('reading a /generate body', () => {
  it("takes SGLang's defaults: 128 new tokens, temperature 1, whole vocabulary, the model's EOS", () => {
    const one = element({ input_ids: [1, 2, 3] });
    expect(one.prompt).toEqual({ ids: [1, 2, 3] });
    expect(one.options).toEqual(
      expect.objectContaining({
        maxNewTokens: 128,
        returnLogprob: false,
        logprobStartLen: -1,
        skipSpecialTokens: true,
      }),
    );
    expect(one.chat.sampling).toEqual(
      expect.objectContaining({ temperature: 1, topP: 1, minP: 0, repetitionPenalty: 1, seed: null, constraint: null }),
    );
    expect(one.chat.stopTokenIds).toEqual(EOS);
    expect(one.ids).toEqual([null]);
    expect(parse({ input_ids: [1] }).listAnswer).toBe(false);
  });

  it('maps sampling_params: seed, penalties, stop ids beside EOS (alone with ignore_eos), constraints, top log-probs', () => {
    const one = element({
      text: 'hello',
      sampling_params: {
        max_new_tokens: 0,
        temperature: 0,
        top_k: 5,
        sampling_seed: 7,
        stop: 'END',
        stop_token_ids: [13],
        presence_penalty: 0.5,
        repetition_penalty: 1.2,
        json_schema: '{"type": "object"}',
      },
      return_logprob: true,
      top_logprobs_num: 3,
    });
    expect(one.prompt).toEqual({ text: 'hello' });
    expect(one.options.maxNewTokens).toBe(0);
    expect(one.chat.sampling).toEqual(
      expect.objectContaining({
        temperature: 0,
        topK: 5,
        seed: 7,
        stop: ['END'],
        presencePenalty: 0.5,
        repetitionPenalty: 1.2,
        topLogprobs: 3,
        constraint: { kind: 'json_schema', schema: { type: 'object' }, strict: true },
      }),
    );
    expect(one.chat.stopTokenIds).toEqual([...EOS, 13]);
    expect(
      element({ input_ids: [1], sampling_params: { ignore_eos: true, stop_token_ids: [13] } }).chat.stopTokenIds,
    ).toEqual([13]);
  });

  it('a batch (and n > 1) is a list answer, prompt-major; a string rid names every answer <rid>_<k>', () => {
    const call = parse({ input_ids: [[1], [2, 3]], sampling_params: { n: 2 }, rid: 'r' });
    expect(call.listAnswer).toBe(true);
    expect(call.elements.map((e) => e.ids)).toEqual([
      ['r_0', 'r_1'],
      ['r_2', 'r_3'],
    ]);
    expect(parse({ input_ids: [1], sampling_params: { n: 3 } }).listAnswer).toBe(true);
    expect(parse({ text: ['a', 'b'], rid: ['x', 'y'] }).elements.map((e) => e.ids)).toEqual([['x'], ['y']]);
  });

  it("a batch element's own fault refuses it alone; a fault of the whole call is a 400", () => {
    const call = parse({
      input_ids: [[1, 2], [VOCAB], [], [1]],
      sampling_params: [{}, {}, {}, { temperature: -1 }],
    });
    const refused = call.elements.map((e) => (isRefused(e) ? e.error.message : null));
    expect(refused).toEqual([
      null,
      `The input_ids contain ${VOCAB}, outside the vocabulary [0, ${VOCAB}).`,
      'The input is empty: input_ids has no token ids',
      'temperature must be a non-negative finite number, got -1.',
    ]);
    expect(refusal({ input_ids: [[1], [2]], sampling_params: [{}] })).toContain('2 prompts');
    expect(refusal({ input_ids: [[1], [2]], sampling_params: { top_p: 0 } })).toBe('top_p must be in (0, 1], got 0.');
  });

  it.each([
    [{ input_ids: [1], text: 'x' }, 'Either text or input_ids should be provided.'],
    [{}, 'Either text or input_ids should be provided.'],
    [{ input_ids: [] }, 'The input is empty: input_ids has no token ids'],
    [{ text: '' }, 'The input is empty: text has no characters'],
    [{ input_ids: [1, -1] }, `The input_ids contain -1, outside the vocabulary [0, ${VOCAB}).`],
    [{ input_ids: [1.5] }, 'input_ids must contain integers only'],
    [{ input_ids: 'abc' }, 'input_ids must be a list of token ids or a list of such lists'],
    [{ input_ids: [1], sampling_params: { top_k: 0 } }, 'top_k must be -1 (disable) or at least 1, got 0.'],
    [{ input_ids: [1], sampling_params: { max_new_tokens: -1 } }, 'max_new_tokens must be at least 0, got -1.'],
    [{ input_ids: [1], sampling_params: { frequency_penalty: 3 } }, 'frequency_penalty must be in [-2, 2], got 3.'],
    [{ input_ids: [1], sampling_params: { repetition_penalty: 0 } }, 'repetition_penalty must be in (0, 2]'],
    [
      { input_ids: [1], sampling_params: { regex: 'a', ebnf: 'b' } },
      'Only one of regex, json_schema, or ebnf can be set.',
    ],
    [
      { input_ids: [1], sampling_params: { json_schema: '{' } },
      'json_schema must be a JSON object written as a string',
    ],
    [{ input_ids: [1], sampling_params: { temprature: 1 } }, 'sampling_params has an unknown field: temprature'],
    [{ input_ids: [1], sampling_params: { min_new_tokens: 2 } }, 'min_new_tokens is not supported'],
    [{ input_ids: [1], sampling_params: { logit_bias: { 5: 1 } } }, 'logit_bias is not supported'],
    [{ input_ids: [1], sampling_params: { stop_token_ids: [VOCAB] } }, 'stop_token_ids must hold token ids'],
    [{ input_ids: [1], sampling_params: 'hot' }, 'sampling_params must be a JSON object'],
    [{ input_ids: [1], lora_path: 'adapter' }, 'lora_path is not supported by this server'],
    [{ input_ids: [1], return_logprob: 'yes' }, 'return_logprob must be a boolean'],
    [{ input_ids: [1], logprob_start_len: -2 }, 'logprob_start_len must be an integer >= -1'],
    [{ input_ids: [1], rid: ['a'] }, 'rid must be a string'],
    [{ input_ids: [[1]], sampling_params: { n: 1025 } }, 'At most 1024 outputs'],
    ['not json', 'The request body must be a JSON object'],
  ])('refuses %j', (body, message) => {
    expect(refusal(body)).toContain(message);
  });
});

describe("formatting /generate answers as SGLang's", () => {
  let tokenizer: HfTokenizer;
  beforeAll(async () => {
    tokenizer = await HfTokenizer.load(undefined);
  }, 60_000);

  const answerOf = async (text: string, versions: number[], options: Partial<GenerateAnswer['options']> = {}) => {
    const tokens = await tokenizer.encode(text);
    const answer = newAnswer(
      'gen-1',
      {
        returnLogprob: true,
        topLogprobsNum: 0,
        returnTextInLogprobs: false,
        returnPromptTokenIds: false,
        logprobStartLen: -1,
        skipSpecialTokens: true,
        noStopTrim: false,
        maxNewTokens: 128,
        ...options,
      },
      [1, 2],
      { ids: new Set(EOS), hold: 0 },
    );
    answer.tokens = tokens;
    answer.logprobs = tokens.map((_, i) => -0.1 * (i + 1));
    answer.versions = versions.length > 0 ? versions : tokens.map(() => 3);
    return answer;
  };

  it('text drops the stop token it matched and is cut at the stop string, unless no_stop_trim', async () => {
    const answer = await answerOf('one two<|im_end|>', []);
    expect(answerText(tokenizer, answer, { type: 'stop', matched: EOS[0] })).toBe('one two');
    const kept = await answerOf('one two<|im_end|>', [], { noStopTrim: true, skipSpecialTokens: false });
    expect(answerText(tokenizer, kept, { type: 'stop', matched: EOS[0] })).toBe('one two<|im_end|>');
    const stopped = await answerOf('one STOP', []);
    expect(answerText(tokenizer, stopped, { type: 'stop', matched: 'STOP' })).toBe('one ');
    expect(answerText(tokenizer, stopped, { type: 'length', length: 2 })).toBe('one STOP');
  });

  it('meta_info carries the recorded log-probs (float32), the versions per token and as spans', async () => {
    const answer = await answerOf('a b c', [3, 3, 4]);
    const output = generateOutput(tokenizer, answer, {
      text: 'a b c',
      from: 0,
      finish: { type: 'length', length: 3 },
      currentVersion: 4,
    });
    expect(output.output_ids).toEqual(answer.tokens);
    expect(output.meta_info).toEqual(
      expect.objectContaining({
        id: 'gen-1',
        prompt_tokens: 2,
        completion_tokens: 3,
        weight_version: '4',
        output_token_versions: [3, 3, 4],
        weight_versions: [
          { version: '3', start: 0, end: 2 },
          { version: '4', start: 2, end: 3 },
        ],
        input_token_logprobs: [],
      }),
    );
    expect(output.meta_info.output_token_logprobs).toEqual(
      answer.tokens.map((id, i) => [Math.fround(answer.logprobs[i]), id, null]),
    );
    // Incremental: the lists are cut to what is new, the counts stay whole.
    const delta = generateOutput(tokenizer, answer, { text: ' c', from: 2, finish: null, currentVersion: 4 });
    expect(delta.output_ids).toEqual(answer.tokens.slice(2));
    expect(delta.meta_info.output_token_versions).toEqual([4]);
    expect(delta.meta_info.completion_tokens).toBe(3);
    expect(delta.meta_info.weight_versions).toBeUndefined();
  });

  it('a refused answer is an abort finish carrying the status', () => {
    const output = refusedOutput('r_1', new AppException(400, 'BAD_REQUEST', 'too long'), 5, 2);
    expect(output).toEqual({
      text: '',
      output_ids: [],
      meta_info: {
        id: 'r_1',
        finish_reason: { type: 'abort', message: 'too long', status_code: 400, err_type: 'BadRequestError' },
        weight_version: '2',
        completion_tokens: 0,
        output_token_versions: [],
        prompt_tokens: 5,
      },
    });
  });

  it('streamed text holds back what may be the matched stop, so what was sent starts the final text', async () => {
    const ids = await tokenizer.encode('one two STOP');
    const text = new StreamedText(new Set(EOS), 'STOP'.length, tokenizer, true);
    let sent = '';
    for (const id of [...ids, EOS[0]]) sent += text.push([id]);
    expect(sent).toBe(text.sent);
    expect('one two '.startsWith(sent)).toBe(true);
    expect(versionSpans([])).toEqual([]);
  });
});
