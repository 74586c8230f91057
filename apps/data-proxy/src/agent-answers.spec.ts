import { describe, expect, it } from '@jest/globals';
import { undocumentedFields } from '@app/common/testing';
import {
  ChatCompletionChunkDto,
  ChatCompletionResponseDto,
  MessageObjectDto,
  ResponseObjectDto,
  TextCompletionResponseDto,
} from '@app/contracts';
import { chatChunk, chatCompletion, toolCallDeltas } from './chat/chat-response.js';
import type { TokenLogprob } from './chat/token-logprobs.js';
import type { TurnResult } from './chat/turn.js';
import { completionChunk, completionLogprobs, textCompletion } from './completions/completions-response.js';
import { contentBlocks, messageObject } from './messages/messages-response.js';
import type { ResponseEcho } from './responses/responses-request.js';
import { messageItem, outputItems, responseObject } from './responses/responses-response.js';

/**
 * Every answer the agent APIs build by hand (typed with their DTOs) holds only what the DTO's
 * Swagger schema documents, with nulls only where it says nullable: clients generated from the
 * OpenAPI document read what is sent.
 */
const meta = { id: 'resp_3f2a9c', created: 1764619200, model: 'qwen3' };
const logprob: TokenLogprob = {
  token: '28',
  bytes: [50, 56],
  logprob: -0.5,
  top_logprobs: [{ token: '28', bytes: [50, 56], logprob: -0.5 }],
};
/** A turn with everything an answer can carry: reasoning, text, a tool call, log-probs, a cache hit. */
const result: TurnResult = {
  content: '<think>add</think>The sum is 28.',
  toolCalls: [{ id: 'call_1', type: 'function', function: { name: 'calculator', arguments: '{"x": 1}' } }],
  finishReason: 'tool_calls',
  matchedStop: null,
  usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6, prompt_tokens_details: { cached_tokens: 2 } },
  outputIds: [1],
  outputLogprobs: [-0.5],
  promptIds: [1, 2, 3, 4, 5],
  tokenLogprobs: [logprob],
};
const echo: ResponseEcho = {
  instructions: null,
  tools: [],
  tool_choice: 'auto',
  temperature: null,
  top_p: null,
  max_output_tokens: null,
  metadata: {},
  store: true,
  previous_response_id: null,
  parallel_tool_calls: true,
  text: { format: { type: 'text' } },
  top_logprobs: 0,
};

describe('chat completions answers', () => {
  it('chat.completion: service_tier, system_fingerprint and the message refusal are documented', () => {
    expect(
      undocumentedFields(chatCompletion(meta, result, { returnTokenIds: true }), ChatCompletionResponseDto),
    ).toEqual([]);
  });

  it('chat.completion without tool calls: tool_calls null is documented as nullable', () => {
    const text = { ...result, toolCalls: [], finishReason: 'stop' as const, tokenLogprobs: null };
    expect(undocumentedFields(chatCompletion(meta, text), ChatCompletionResponseDto)).toEqual([]);
  });

  it('the first chunk: prompt_token_ids (return_token_ids) and the null finish reason are documented', () => {
    const first = chatChunk(meta, { role: 'assistant', content: '' }, null);
    first.prompt_token_ids = [1, 2, 3];
    expect(undocumentedFields(first, ChatCompletionChunkDto)).toEqual([]);
  });

  it('a tool call chunk and the last chunk with usage, log-probs and token ids are documented', () => {
    const chunks = [
      ...toolCallDeltas(result.toolCalls[0], 0).map((delta) => chatChunk(meta, delta, null)),
      chatChunk(meta, {}, 'tool_calls', result.usage, { logprobs: [logprob], ids: [1] }),
    ];
    expect(undocumentedFields(chunks, ChatCompletionChunkDto)).toEqual([]);
  });
});

describe('text completions answers', () => {
  it('text_completion with log-probs and token ids is documented', () => {
    const answer = textCompletion(meta, result, { logprobs: 1, returnTokenIds: true });
    expect(undocumentedFields(answer, TextCompletionResponseDto)).toEqual([]);
  });

  it('a streamed chunk: its null finish reason is documented as nullable', () => {
    const chunk = completionChunk(meta, 'The', null, { logprobs: completionLogprobs([logprob], 0), token_ids: [1] });
    expect(undocumentedFields(chunk, TextCompletionResponseDto)).toEqual([]);
  });
});

describe('messages answers', () => {
  it('the message with thinking, text and tool_use blocks is documented', () => {
    expect(undocumentedFields(messageObject(meta, 5, result, contentBlocks(result)), MessageObjectDto)).toEqual([]);
  });

  it("message_start's message (no stop reason yet) is documented", () => {
    expect(undocumentedFields(messageObject(meta, 5, null, []), MessageObjectDto)).toEqual([]);
  });
});

describe('responses answers', () => {
  it('the completed response echoes its settings in documented fields', () => {
    expect(
      undocumentedFields(responseObject(meta, echo, result, outputItems(meta, result)), ResponseObjectDto),
    ).toEqual([]);
  });

  it('the response in progress (no usage yet, an item in progress) is documented', () => {
    const inProgress = responseObject(meta, echo, null, [messageItem('msg_3f2a9c', '', 'in_progress')]);
    expect(undocumentedFields(inProgress, ResponseObjectDto)).toEqual([]);
  });
});
