import { describe, expect, it } from '@jest/globals';
import { completionBudget, normalizeMessages, parseChatRequest } from './chat-request.js';
import { statusOf } from '@app/common/testing';

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
