import type { FastifyReply } from 'fastify';
import { streamErrorEvent } from '@app/contracts';
import type { PromptIds } from '../inference/engine-backend.js';
import type { CompletionMeta, TurnResult } from './turn.js';
import { chatChunk, toolCallDeltas, type ChunkTokens } from './chat-response.js';
import type { ToolCall } from './output-parser.js';
import type { TokenLogprob } from './token-logprobs.js';
import { SseTurnStream, streamErrorInfo } from './turn-sink.js';

/** What a streamed chat answer carries beyond the deltas, as the request asked. */
export interface ChatStreamOptions {
  /** `logprobs: true`: each chunk carries the log-probs of the tokens that arrived since the last one. */
  logprobs: boolean;
  /** `return_token_ids`: the prompt's ids on the first chunk, each chunk's output ids on it (vLLM's shape). */
  promptIds: PromptIds | null;
}

/**
 * A streaming chat completion: `chat.completion.chunk` events, usage on the last, then `[DONE]`.
 * Token data (log-probs, ids) rides on the next chunk after its tokens arrive, so the chunks'
 * `logprobs.content` concatenate to the non-streaming answer's.
 */
export class ChatStream extends SseTurnStream {
  private toolIndex = 0;
  private pendingLogprobs: TokenLogprob[] | null = null;
  private pendingIds: number[] | null = null;

  constructor(
    reply: FastifyReply,
    private readonly meta: CompletionMeta,
    private readonly options: ChatStreamOptions = { logprobs: false, promptIds: null },
  ) {
    super(reply);
  }

  protected opened(): void {
    const first = chatChunk(this.meta, { role: 'assistant', content: '' }, null);
    if (this.options.promptIds) first.prompt_token_ids = [...this.options.promptIds];
    this.send(first);
  }

  override tokens(ids: readonly number[], logprobs: TokenLogprob[] | null): void {
    if (this.options.promptIds) (this.pendingIds ??= []).push(...ids);
    if (this.options.logprobs && logprobs) (this.pendingLogprobs ??= []).push(...logprobs);
  }

  /** The token data not yet sent, once. */
  private takeTokens(): ChunkTokens | undefined {
    if (this.pendingLogprobs === null && this.pendingIds === null) return undefined;
    const tokens = { logprobs: this.pendingLogprobs, ids: this.pendingIds };
    this.pendingLogprobs = null;
    this.pendingIds = null;
    return tokens;
  }

  text(delta: string): void {
    this.send(chatChunk(this.meta, { content: delta }, null, undefined, this.takeTokens()));
  }

  toolCall(call: ToolCall): void {
    for (const delta of toolCallDeltas(call, this.toolIndex++))
      this.send(chatChunk(this.meta, delta, null, undefined, this.takeTokens()));
  }

  finish(result: TurnResult): void {
    this.start();
    this.send(chatChunk(this.meta, {}, result.finishReason, result.usage, this.takeTokens()));
    this.end('data: [DONE]\n\n');
  }

  /** An error after the stream began: one OpenAI-style error event, then the end of the stream. */
  error(err: unknown): void {
    const { status, message, code } = streamErrorInfo(err);
    this.send(streamErrorEvent('chat', status, message, code).data);
    this.end('data: [DONE]\n\n');
  }
}
