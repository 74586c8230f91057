import { describe, expect, it } from '@jest/globals';
import { statusOf } from '@app/common/testing';
import type { TurnResult } from './chat/turn.js';
import { outputMessage } from './chat/chat-response.js';
import { LeadingThinkSplitter, splitLeadingThink } from './chat/leading-think.js';
import { parseCompletionsRequest } from './completions/completions-request.js';
import { parseMessagesRequest } from './messages/messages-request.js';
import { contentBlocks, stopReason } from './messages/messages-response.js';
import { inputMessages, parseResponsesRequest } from './responses/responses-request.js';
import { outputItems } from './responses/responses-response.js';

const meta = { id: 'resp_abc', created: 1, model: 'm' };
const call = (id: string) => ({
  id,
  type: 'function' as const,
  function: { name: 'calculator', arguments: '{"expression": "6 * 7"}' },
});
const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };

function turn(content: string, toolCalls: TurnResult['toolCalls'] = []): TurnResult {
  return {
    content,
    toolCalls,
    finishReason: toolCalls.length > 0 ? 'tool_calls' : 'stop',
    matchedStop: null,
    usage,
    outputIds: [],
    outputLogprobs: [],
    promptIds: [],
    tokenLogprobs: null,
  };
}

/** Answers of every shape a turn can have: what the round trip must preserve. */
const TURNS: [string, TurnResult][] = [
  ['plain text', turn('The sum is 5.')],
  ['empty', turn('')],
  ['think + text', turn('<think>\nadd\n</think>\n\nThe sum is 5.')],
  ['empty think', turn('<think></think>answer')],
  ['unfinished think', turn('<think>still thinking')],
  ['think + tool call', turn('<think>use it</think>', [call('call_1')])],
  ['text + two tool calls', turn('Let me compute.', [call('call_1'), call('call_2')])],
  ['tool call only', turn('', [call('call_1')])],
];

describe('one conversion each way: an answer sent back next turn is the recorded assistant message', () => {
  it.each(TURNS.filter(([name]) => name !== 'unfinished think'))('Responses output items (%s)', (_name, result) => {
    expect(inputMessages(outputItems(meta, result))).toEqual([outputMessage(result.content, result.toolCalls)]);
  });

  it.each(TURNS.filter(([name]) => name !== 'unfinished think'))('Messages content blocks (%s)', (_name, result) => {
    const request = parseMessagesRequest({
      max_tokens: 8,
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: contentBlocks(result) },
      ],
    });
    expect(request.messages[1]).toEqual(outputMessage(result.content, result.toolCalls));
  });

  it('stop reasons: tool_use, max_tokens, stop_sequence, end_turn', () => {
    expect(stopReason(turn('', [call('c')])).stop_reason).toBe('tool_use');
    expect(stopReason({ ...turn('x'), finishReason: 'length' }).stop_reason).toBe('max_tokens');
    expect(stopReason({ ...turn('x'), matchedStop: 'END' })).toEqual({
      stop_reason: 'stop_sequence',
      stop_sequence: 'END',
    });
    expect(stopReason(turn('x'))).toEqual({ stop_reason: 'end_turn', stop_sequence: null });
  });
});

describe('LeadingThinkSplitter', () => {
  it.each(TURNS.map(([name, result]) => [name, result.content]))(
    'streamed in pieces of any size, gives what splitLeadingThink gives (%s)',
    (_name, content) => {
      for (const size of [1, 2, 3, 7, 100]) {
        let reasoning: string | null = null;
        let text = '';
        const splitter = new LeadingThinkSplitter({
          reasoningStart: () => (reasoning = ''),
          reasoning: (delta) => (reasoning += delta),
          text: (delta) => (text += delta),
        });
        for (let i = 0; i < content.length; i += size) splitter.push(content.slice(i, i + size));
        splitter.finish();
        expect({ reasoning, text }).toEqual(splitLeadingThink(content));
      }
    },
  );

  it('only a think block at the very start is reasoning', () => {
    expect(splitLeadingThink('a <think>b</think>')).toEqual({ reasoning: null, text: 'a <think>b</think>' });
    expect(splitLeadingThink('<thin')).toEqual({ reasoning: null, text: '<thin' });
  });
});

describe('Responses request', () => {
  it('instructions, a string input, tools and limits become the chat request', () => {
    const parsed = parseResponsesRequest({
      model: 'm',
      instructions: 'Be brief.',
      input: 'hi',
      tools: [{ type: 'function', name: 'calculator', parameters: { type: 'object' } }],
      tool_choice: { type: 'function', name: 'calculator' },
      max_output_tokens: 9,
      temperature: 0.5,
      reasoning: { effort: 'none' },
    });
    expect(parsed.chat.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
    ]);
    expect(parsed.chat.tools).toEqual([
      { type: 'function', function: { name: 'calculator', parameters: { type: 'object' } } },
    ]);
    expect(parsed.chat.parseToolCalls).toBe(true);
    expect(parsed.chat.maxCompletionTokens).toBe(9);
    expect(parsed.chat.sampling.temperature).toBe(0.5);
    expect(parsed.chat.templateKwargs).toEqual({ enable_thinking: false });
    expect(parsed.echo.tool_choice).toEqual({ type: 'function', name: 'calculator' });
  });

  it('previous conversation: new instructions replace its system message, the input follows', () => {
    const history = [
      { role: 'system', content: 'old' },
      { role: 'user', content: 'q1' },
      { role: 'assistant', content: 'a1' },
    ];
    const parsed = parseResponsesRequest({ instructions: 'new', input: 'q2', previous_response_id: 'resp_1' }, history);
    expect(parsed.chat.messages).toEqual([
      { role: 'system', content: 'new' },
      ...history.slice(1),
      { role: 'user', content: 'q2' },
    ]);
    expect(parsed.previousResponseId).toBe('resp_1');
    expect(parseResponsesRequest({ input: 'q2' }, history).chat.messages).toHaveLength(4);
  });

  it('function_call_output items become tool messages; text parts join with a newline (as vLLM)', () => {
    expect(
      inputMessages([
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'a' },
            { type: 'input_text', text: 'b' },
          ],
        },
        { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c1', output: '42' },
      ]),
    ).toEqual([
      { role: 'user', content: 'a\nb' },
      {
        role: 'assistant',
        content: '',
        tool_calls: [{ id: 'c1', function: { arguments: '{}', name: 'f' }, type: 'function' }],
      },
      { role: 'tool', tool_call_id: 'c1', content: '42' },
    ]);
  });

  it.each([
    ['no input', {}],
    ['an image part', { input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'x' }] }] }],
    ['an unknown item', { input: [{ type: 'web_search_call' }] }],
    ['a hosted tool', { input: 'hi', tools: [{ type: 'web_search' }] }],
    ['a json_schema format without a schema', { input: 'hi', text: { format: { type: 'json_schema', name: 'x' } } }],
    ['text.verbosity', { input: 'hi', text: { verbosity: 'low' } }],
    ['an unknown field', { input: 'hi', frobnicate: 1 }],
    ['an unknown include', { input: 'hi', include: ['everything'] }],
    ['background', { input: 'hi', background: true }],
    ['max_output_tokens 0', { input: 'hi', max_output_tokens: 0 }],
    ['temperature 3', { input: 'hi', temperature: 3 }],
    ['a bad role', { input: [{ role: 'robot', content: 'x' }] }],
  ])('%s is a 400', (_name, body) => {
    expect(statusOf(() => parseResponsesRequest(body))).toBe(400);
  });
});

describe('Messages request', () => {
  it('system blocks, tool results before the text of the same turn, tools and tool_choice', () => {
    const request = parseMessagesRequest({
      max_tokens: 16,
      system: [{ type: 'text', text: 'Use tools.' }],
      messages: [
        { role: 'user', content: 'q' },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_1', name: 'calculator', input: { expression: '1+1' } }],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '2' }] },
            { type: 'text', text: 'thanks' },
          ],
        },
      ],
      tools: [{ name: 'calculator', input_schema: { type: 'object' } }],
      tool_choice: { type: 'any' },
      stop_sequences: ['END'],
      thinking: { type: 'disabled' },
    });
    expect(request.messages).toEqual([
      { role: 'system', content: 'Use tools.' },
      { role: 'user', content: 'q' },
      {
        role: 'assistant',
        content: '',
        tool_calls: [
          { id: 'toolu_1', function: { arguments: '{"expression": "1+1"}', name: 'calculator' }, type: 'function' },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: '2' },
      { role: 'user', content: 'thanks' },
    ]);
    expect(request.tools).toEqual([
      { type: 'function', function: { name: 'calculator', parameters: { type: 'object' } } },
    ]);
    expect(request.maxCompletionTokens).toBe(16);
    expect(request.sampling.stop).toEqual(['END']);
    expect(request.templateKwargs).toEqual({ enable_thinking: false });
  });

  it('count_tokens needs no max_tokens', () => {
    expect(parseMessagesRequest({ messages: [{ role: 'user', content: 'hi' }] }, true).messages).toHaveLength(1);
  });

  it.each([
    ['no max_tokens', { messages: [{ role: 'user', content: 'hi' }] }],
    ['no messages', { max_tokens: 4, messages: [] }],
    ['a robot role in messages', { max_tokens: 4, messages: [{ role: 'robot', content: 'x' }] }],
    [
      'output_config.effort',
      { max_tokens: 4, messages: [{ role: 'user', content: 'x' }], output_config: { effort: 'high' } },
    ],
    ['an image', { max_tokens: 4, messages: [{ role: 'user', content: [{ type: 'image', source: {} }] }] }],
    [
      'a server tool',
      { max_tokens: 4, messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'bash_20250124', name: 'bash' }] },
    ],
    ['temperature 1.5', { max_tokens: 4, messages: [{ role: 'user', content: 'x' }], temperature: 1.5 }],
    [
      'a bad tool_choice',
      { max_tokens: 4, messages: [{ role: 'user', content: 'x' }], tool_choice: { type: 'maybe' } },
    ],
  ])('%s is a 400', (_name, body) => {
    expect(statusOf(() => parseMessagesRequest(body))).toBe(400);
  });
});

describe('completions request', () => {
  it('text and token-id prompts are raw prompts; the default max_tokens is 16', () => {
    const text = parseCompletionsRequest({ prompt: 'once upon' }, 100);
    expect(text.chat.rawPrompt).toEqual({ text: 'once upon' });
    expect(text.chat.messages).toEqual([]);
    expect(text.chat.maxCompletionTokens).toBe(16);
    expect(parseCompletionsRequest({ prompt: [[1, 2, 3]], max_tokens: 4 }, 100).chat.rawPrompt).toEqual({
      ids: [1, 2, 3],
    });
    expect(parseCompletionsRequest({ prompt: 'x', logprobs: 0 }, 100).logprobs).toBe(0);
    expect(parseCompletionsRequest({ prompt: 'x', logprobs: 3 }, 100).chat.sampling.topLogprobs).toBe(3);
    expect(parseCompletionsRequest({ prompt: 'x' }, 100).logprobs).toBeNull();
  });

  it.each([
    ['no prompt', {}],
    ['an empty prompt', { prompt: '' }],
    ['a token id outside the vocabulary', { prompt: [1, 100] }],
    ['a batch of prompts', { prompt: ['a', 'b'] }],
    ['echo', { prompt: 'a', echo: true }],
    ['n = 2', { prompt: 'a', n: 2 }],
    ['best_of = 2', { prompt: 'a', best_of: 2 }],
  ])('%s is a 400', (_name, body) => {
    expect(statusOf(() => parseCompletionsRequest(body, 100))).toBe(400);
  });
});
