import { describe, expect, it } from '@jest/globals';
import { completionBudget, normalizeMessages, parseChatRequest } from './chat-request.js';
import { statusOf } from '@app/common/testing';
import type { AppException } from '@app/common';

const base = { messages: [{ role: 'user', content: 'hi' }] };

const status = statusOf;

describe('parseChatRequest', () => {
  it('applies the reference defaults', () => {
    const request = parseChatRequest(base);
    expect(request.sampling).toEqual({
      temperature: 1,
      topP: 1,
      topK: 100_000_000,
      stop: [],
      frequencyPenalty: 0,
      ignoreEos: false,
      skipSpecialTokens: true,
      seed: null,
      minP: 0,
      repetitionPenalty: 1,
      presencePenalty: 0,
      constraint: null,
      topLogprobs: 0,
    });
    expect(parseChatRequest({ ...base, seed: 7 }).sampling.seed).toBe(7);
    expect(() => parseChatRequest({ ...base, seed: -1 })).toThrow();
    expect(request.stream).toBe(false);
    expect(request.store).toBe(true);
    expect(request.maxCompletionTokens).toBeNull();
    expect(request.parseToolCalls).toBe(false);
  });

  it('maps temperature, top_p, max tokens, stop and penalties', () => {
    const request = parseChatRequest({
      ...base,
      temperature: 0.5,
      top_p: 0.9,
      max_tokens: 100,
      stop: '\n\n',
      frequency_penalty: 0.3,
    });
    expect(request.sampling.temperature).toBe(0.5);
    expect(request.sampling.topP).toBe(0.9);
    expect(request.maxCompletionTokens).toBe(100);
    expect(request.sampling.stop).toEqual(['\n\n']);
    expect(request.sampling.frequencyPenalty).toBe(0.3);
    expect(parseChatRequest({ ...base, temperature: 0 }).sampling.temperature).toBe(0);
    expect(parseChatRequest({ ...base, temperature: null }).sampling.temperature).toBe(1);
    expect(parseChatRequest({ ...base, top_p: 0 }).sampling.topP).toBe(1);
    expect(parseChatRequest({ ...base, max_completion_tokens: 7 }).maxCompletionTokens).toBe(7);
  });

  it('reads chat_template_kwargs at the top level (OpenAI SDK extra_body) and inside extra_body', () => {
    expect(parseChatRequest({ ...base, chat_template_kwargs: { enable_thinking: false } }).templateKwargs).toEqual({
      enable_thinking: false,
    });
    expect(
      parseChatRequest({ ...base, extra_body: { chat_template_kwargs: { enable_thinking: true } } }).templateKwargs,
    ).toEqual({ enable_thinking: true });
  });

  it('parses tool calls only with tools and tool_choice other than none', () => {
    const tools = [{ type: 'function', function: { name: 'f' } }];
    expect(parseChatRequest({ ...base, tools }).parseToolCalls).toBe(true);
    expect(parseChatRequest({ ...base, tools, tool_choice: 'none' }).parseToolCalls).toBe(false);
    expect(parseChatRequest({ ...base, tools: [] }).parseToolCalls).toBe(false);
  });

  it.each([
    ['a non-object body', []],
    ['missing messages', {}],
    ['empty messages', { messages: [] }],
    ['a non-object message', { messages: ['hi'] }],
    ['an unknown role', { messages: [{ role: 'wizard', content: 'x' }] }],
    ['a numeric content', { messages: [{ role: 'user', content: 5 }] }],
    ['n > 1', { ...base, n: 2 }],
    ['both max_tokens and max_completion_tokens', { ...base, max_tokens: 1, max_completion_tokens: 1 }],
    ['max_tokens 0', { ...base, max_tokens: 0 }],
    ['a string temperature', { ...base, temperature: 'hot' }],
    ['top_p above 1', { ...base, top_p: 2 }],
    ['a non-list stop', { ...base, stop: 5 }],
    ['malformed tools', { ...base, tools: [{ type: 'function' }] }],
    ['a non-boolean stream', { ...base, stream: 'yes' }],
  ])('answers 400 for %s', (_label, body) => {
    expect(status(() => parseChatRequest(body))).toBe(400);
  });
});

describe('parseChatRequest: the whole chat surface', () => {
  const schema = { type: 'object', properties: { a: { type: 'integer' } }, required: ['a'] };
  const tools = [{ type: 'function', function: { name: 'f' } }];

  it('response_format and the engines’ extensions become the one constraint', () => {
    expect(parseChatRequest({ ...base, response_format: { type: 'text' } }).sampling.constraint).toBeNull();
    expect(parseChatRequest({ ...base, response_format: { type: 'json_object' } }).sampling.constraint).toEqual({
      kind: 'json_object',
    });
    expect(
      parseChatRequest({
        ...base,
        response_format: { type: 'json_schema', json_schema: { name: 'x', schema, strict: true } },
      }).sampling.constraint,
    ).toEqual({ kind: 'json_schema', schema, strict: true });
    expect(parseChatRequest({ ...base, structured_outputs: { regex: '\\d+' } }).sampling.constraint).toEqual({
      kind: 'regex',
      pattern: '\\d+',
    });
    expect(parseChatRequest({ ...base, guided_choice: ['yes', 'no?'] }).sampling.constraint).toEqual({
      kind: 'regex',
      pattern: '(yes|no\\?)',
    });
    expect(parseChatRequest({ ...base, ebnf: 'root ::= "a"' }).sampling.constraint).toEqual({
      kind: 'ebnf',
      grammar: 'root ::= "a"',
    });
    expect(parseChatRequest({ ...base, guided_json: JSON.stringify(schema) }).sampling.constraint).toEqual({
      kind: 'json_schema',
      schema,
      strict: true,
    });
  });

  it('two constraints cannot both hold; a forced tool choice counts as one', () => {
    expect(status(() => parseChatRequest({ ...base, response_format: { type: 'json_object' }, regex: 'a' }))).toBe(400);
    expect(
      status(() =>
        parseChatRequest({ ...base, tools, tool_choice: 'required', response_format: { type: 'json_object' } }),
      ),
    ).toBe(400);
  });

  it('tool_choice: none, auto, required, a named function; parallel_tool_calls false only where one call is forced', () => {
    expect(parseChatRequest({ ...base, tools }).toolChoice).toBe('auto');
    expect(parseChatRequest({ ...base, tools, tool_choice: 'required' }).toolChoice).toBe('required');
    expect(
      parseChatRequest({ ...base, tools, tool_choice: { type: 'function', function: { name: 'f' } } }).toolChoice,
    ).toEqual({ name: 'f' });
    expect(
      status(() => parseChatRequest({ ...base, tools, tool_choice: { type: 'function', function: { name: 'g' } } })),
    ).toBe(400);
    expect(status(() => parseChatRequest({ ...base, tool_choice: 'required' }))).toBe(400);
    expect(
      status(() => parseChatRequest({ ...base, tools, tool_choice: { type: 'allowed_tools', allowed_tools: {} } })),
    ).toBe(400);
    expect(status(() => parseChatRequest({ ...base, tools, parallel_tool_calls: false }))).toBe(400);
    expect(
      parseChatRequest({ ...base, tools, tool_choice: 'required', parallel_tool_calls: false }).parallelToolCalls,
    ).toBe(false);
  });

  it('log-probs, top log-probs and token ids in the answer; top_logprobs needs logprobs', () => {
    expect(parseChatRequest(base).logprobs).toBeNull();
    const asked = parseChatRequest({ ...base, logprobs: true, top_logprobs: 5 });
    expect([asked.logprobs, asked.sampling.topLogprobs]).toEqual([5, 5]);
    expect(parseChatRequest({ ...base, logprobs: true }).logprobs).toBe(0);
    expect(status(() => parseChatRequest({ ...base, top_logprobs: 2 }))).toBe(400);
    expect(parseChatRequest({ ...base, return_token_ids: true }).returnTokenIds).toBe(true);
  });

  it('the engines’ sampling extensions and OpenAI’s presence penalty reach the engine settings', () => {
    const request = parseChatRequest({
      ...base,
      min_p: 0.1,
      repetition_penalty: 1.2,
      presence_penalty: 0.5,
      top_k: 20,
      ignore_eos: true,
      skip_special_tokens: true,
    });
    expect(request.sampling).toEqual(
      expect.objectContaining({ minP: 0.1, repetitionPenalty: 1.2, presencePenalty: 0.5, topK: 20, ignoreEos: true }),
    );
    expect(request.skipSpecialTokens).toBe(true);
  });

  it('reasoning_effort "none" turns thinking off in the template', () => {
    expect(parseChatRequest({ ...base, reasoning_effort: 'none' }).templateKwargs).toEqual({ enable_thinking: false });
  });

  it("reasoning_effort low/medium/high turns thinking on and reaches gpt-oss's reasoning_effort", () => {
    expect(parseChatRequest({ ...base, reasoning_effort: 'high' }).templateKwargs).toEqual({
      enable_thinking: true,
      reasoning_effort: 'high',
    });
  });

  it('an effort gpt-oss does not know only turns thinking on', () => {
    expect(parseChatRequest({ ...base, reasoning_effort: 'minimal' }).templateKwargs).toEqual({
      enable_thinking: true,
    });
  });

  it("the caller's own chat_template_kwargs.reasoning_effort wins over reasoning_effort", () => {
    expect(
      parseChatRequest({ ...base, reasoning_effort: 'high', chat_template_kwargs: { reasoning_effort: 'low' } })
        .templateKwargs,
    ).toEqual({ enable_thinking: true, reasoning_effort: 'low' });
  });

  it.each([
    ['an unknown field', { ...base, frobnicate: 1 }, 'frobnicate'],
    ['logit_bias', { ...base, logit_bias: { '1': 5 } }, 'logit_bias'],
    ['audio output', { ...base, audio: { voice: 'x', format: 'mp3' } }, 'audio'],
    ['audio modality', { ...base, modalities: ['text', 'audio'] }, 'modalities'],
    ['functions', { ...base, functions: [{ name: 'f' }] }, 'functions'],
    ['verbosity', { ...base, verbosity: 'low' }, 'verbosity'],
    ['web search', { ...base, web_search_options: {} }, 'web_search_options'],
    ['an unknown key inside extra_body', { ...base, extra_body: { guided_json: {} } }, 'extra_body.guided_json'],
    ['a custom tool', { ...base, tools: [{ type: 'custom', custom: { name: 'x' } }] }, 'tools[0].type'],
  ])('refuses %s with a 400 naming it', (_name, body, param) => {
    try {
      parseChatRequest(body);
    } catch (err) {
      expect((err as AppException).details.param).toBe(param);
      return;
    }
    throw new Error('expected a 400');
  });

  it('accepts without effect what cannot change the generation', () => {
    const plain = parseChatRequest(base);
    const decorated = parseChatRequest({
      ...base,
      user: 'u',
      metadata: { a: '1' },
      service_tier: 'flex',
      prompt_cache_key: 'k',
      safety_identifier: 's',
      prediction: { type: 'content', content: 'x' },
      modalities: ['text'],
      n: 1,
      store: true,
    });
    expect(decorated).toEqual(plain);
  });
});

describe('normalizeMessages', () => {
  it('drops null-valued keys recursively', () => {
    expect(
      normalizeMessages([
        { role: 'assistant', content: null, tool_calls: [{ id: 'c', function: { name: 'f', x: null } }] },
      ]),
    ).toEqual([{ role: 'assistant', tool_calls: [{ id: 'c', function: { name: 'f' } }] }]);
  });
});

describe('completionBudget', () => {
  const limits = { contextLength: 100, defaultMaxTokens: 30 };
  it('uses the request cap, the default, and the room left in the context', () => {
    expect(completionBudget(10, { maxCompletionTokens: 5, maxTotalTokens: null }, limits)).toBe(5);
    expect(completionBudget(10, { maxCompletionTokens: null, maxTotalTokens: null }, limits)).toBe(30);
    expect(completionBudget(90, { maxCompletionTokens: null, maxTotalTokens: null }, limits)).toBe(10);
    expect(completionBudget(10, { maxCompletionTokens: null, maxTotalTokens: 15 }, limits)).toBe(5);
    expect(
      completionBudget(10, { maxCompletionTokens: null, maxTotalTokens: null }, { ...limits, engineMaxTokens: 20 }),
    ).toBe(10);
  });
  it('answers 400 PROMPT_TOO_LONG when the prompt leaves no room', () => {
    expect(status(() => completionBudget(100, { maxCompletionTokens: null, maxTotalTokens: null }, limits))).toBe(400);
    expect(status(() => completionBudget(10, { maxCompletionTokens: null, maxTotalTokens: 10 }, limits))).toBe(400);
  });
});
