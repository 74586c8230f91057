import type { FastifyReply } from 'fastify';
import { streamErrorEvent, type TextCompletionResponseDto } from '@app/contracts';
import type { PromptIds } from '../inference/engine-backend.js';
import type { CompletionMeta, TurnResult } from '../chat/turn.js';
import type { TokenLogprob } from '../chat/token-logprobs.js';
import { SseTurnStream, streamErrorInfo } from '../chat/turn-sink.js';
import { completionChunk, completionLogprobs } from './completions-response.js';

/** What a streamed completion carries beyond the text, as the request asked. */
export interface CompletionsStreamOptions {
  includeUsage: boolean;
  logprobs: number | null;
  /** `return_token_ids`: the prompt's ids on the first chunk, each chunk's output ids on it. */
  promptIds: PromptIds | null;
}

/**
 * A streaming legacy completion: `text_completion` chunks, the finish reason, usage if asked,
 * `[DONE]`. Token data (log-probs, ids) rides on the next chunk after its tokens arrive.
 */
export class CompletionsStream extends SseTurnStream {
  private pendingLogprobs: TokenLogprob[] | null = null;
  private pendingIds: number[] | null = null;
  private textLength = 0;
  private promptSent = false;

  constructor(
    reply: FastifyReply,
    private readonly meta: CompletionMeta,
    private readonly options: CompletionsStreamOptions,
  ) {
    super(reply);
  }

  protected opened(): void {}

  override tokens(ids: readonly number[], logprobs: TokenLogprob[] | null): void {
    if (this.options.promptIds) (this.pendingIds ??= []).push(...ids);
    if (this.options.logprobs !== null && logprobs) (this.pendingLogprobs ??= []).push(...logprobs);
  }

  private chunk(text: string, finishReason: string | null): TextCompletionResponseDto {
    const extra: Parameters<typeof completionChunk>[3] = {};
    if (this.options.promptIds) {
      if (!this.promptSent) extra.prompt_token_ids = [...this.options.promptIds];
      this.promptSent = true;
      extra.token_ids = this.pendingIds ?? [];
      this.pendingIds = null;
    }
    if (this.pendingLogprobs && this.options.logprobs !== null) {
      extra.logprobs = completionLogprobs(this.pendingLogprobs, this.options.logprobs, this.textLength);
      this.pendingLogprobs = null;
    }
    this.textLength += text.length;
    return completionChunk(this.meta, text, finishReason, extra);
  }

  text(delta: string): void {
    this.send(this.chunk(delta, null));
  }

  /** A raw prompt has no tools: nothing is parsed into calls. */
  toolCall(): void {}

  finish(result: TurnResult): void {
    this.start();
    this.send(this.chunk('', result.finishReason));
    if (this.options.includeUsage)
      this.send({ ...completionChunk(this.meta, '', null), choices: [], usage: result.usage });
    this.end('data: [DONE]\n\n');
  }

  error(err: unknown): void {
    const { status, message, code } = streamErrorInfo(err);
    this.send(streamErrorEvent('chat', status, message, code).data);
    this.end('data: [DONE]\n\n');
  }
}
