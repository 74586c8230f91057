import type { FastifyReply } from 'fastify';
import { streamErrorEvent } from '@app/contracts';
import type { CompletionMeta, TurnResult } from './turn.js';
import { chatChunk, toolCallDeltas } from './chat-response.js';
import type { ToolCall } from './output-parser.js';
import { SseTurnStream, streamErrorInfo } from './turn-sink.js';

/** A streaming chat completion: `chat.completion.chunk` events, usage on the last, then `[DONE]`. */
export class ChatStream extends SseTurnStream {
  private toolIndex = 0;

  constructor(
    reply: FastifyReply,
    private readonly meta: CompletionMeta,
  ) {
    super(reply);
  }

  protected opened(): void {
    this.send(chatChunk(this.meta, { role: 'assistant', content: '' }, null));
  }

  text(delta: string): void {
    this.send(chatChunk(this.meta, { content: delta }, null));
  }

  toolCall(call: ToolCall): void {
    for (const delta of toolCallDeltas(call, this.toolIndex++)) this.send(chatChunk(this.meta, delta, null));
  }

  finish(result: TurnResult): void {
    this.start();
    this.send(chatChunk(this.meta, {}, result.finishReason, result.usage));
    this.end('data: [DONE]\n\n');
  }

  /** An error after the stream began: one OpenAI-style error event, then the end of the stream. */
  error(err: unknown): void {
    const { status, message, code } = streamErrorInfo(err);
    this.send(streamErrorEvent('chat', status, message, code).data);
    this.end('data: [DONE]\n\n');
  }
}
