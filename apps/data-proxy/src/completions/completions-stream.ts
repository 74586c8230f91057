import type { FastifyReply } from 'fastify';
import { streamErrorEvent } from '@app/contracts';
import type { TurnResult } from '../chat/turn.js';
import type { CompletionMeta } from '../chat/turn.js';
import { SseTurnStream, streamErrorInfo } from '../chat/turn-sink.js';
import { textCompletion } from './completions-response.js';

/** A streaming legacy completion: `text_completion` chunks, the finish reason, usage if asked, `[DONE]`. */
export class CompletionsStream extends SseTurnStream {
  constructor(
    reply: FastifyReply,
    private readonly meta: CompletionMeta,
    private readonly includeUsage: boolean,
  ) {
    super(reply);
  }

  protected opened(): void {}

  text(delta: string): void {
    this.send(textCompletion(this.meta, delta, null, null));
  }

  /** A raw prompt has no tools: nothing is parsed into calls. */
  toolCall(): void {}

  finish(result: TurnResult): void {
    this.start();
    this.send(textCompletion(this.meta, '', result.finishReason, null));
    if (this.includeUsage)
      this.send({ ...textCompletion(this.meta, '', null, null), choices: [], usage: result.usage });
    this.end('data: [DONE]\n\n');
  }

  error(err: unknown): void {
    const { status, message, code } = streamErrorInfo(err);
    this.send(streamErrorEvent('chat', status, message, code).data);
    this.end('data: [DONE]\n\n');
  }
}
