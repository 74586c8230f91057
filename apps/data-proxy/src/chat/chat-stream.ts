import { PassThrough } from 'node:stream';
import { Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AppException, sendEventStream } from '@app/common';
import { chatChunk, type CompletionMeta, type Usage } from './chat-response.js';

const KEEP_ALIVE_MS = 15_000;
const logger = new Logger('ChatStream');

/**
 * The SSE side of a streaming chat. Headers are sent when the first token arrives, so an error
 * before any token (bad engine, retries exhausted) is still a plain HTTP error with its status;
 * after that, errors become an `error` event. A comment line every 15 s keeps idle streams (a
 * long pause for a weight update) alive through proxies.
 */
export class ChatStream {
  private stream: PassThrough | null = null;
  /** Every content delta sent, concatenated. */
  content = '';
  private keepAlive: NodeJS.Timeout | null = null;

  constructor(
    private readonly reply: FastifyReply,
    private readonly meta: CompletionMeta,
  ) {}

  get started(): boolean {
    return this.stream !== null;
  }

  start(): void {
    if (this.stream) return;
    this.stream = sendEventStream(this.reply);
    this.write(chatChunk(this.meta, { role: 'assistant', content: '' }, null));
    this.armKeepAlive();
  }

  delta(delta: Record<string, unknown>): void {
    this.start();
    if (typeof delta.content === 'string') this.content += delta.content;
    this.write(chatChunk(this.meta, delta, null));
  }

  finish(finishReason: string, usage: Usage): void {
    this.start();
    this.write(chatChunk(this.meta, {}, finishReason, usage));
    this.end();
  }

  /** An error after the stream began: one OpenAI-style error event, then the end of the stream. */
  error(err: unknown): void {
    const status = err instanceof AppException ? err.getStatus() : 500;
    const message = err instanceof AppException ? err.message : 'Internal server error';
    if (!(err instanceof AppException)) logger.error({ err }, 'stream failed');
    this.stream?.write(
      `data: ${JSON.stringify({ error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error', code: err instanceof AppException ? err.code : 'INTERNAL' } })}\n\n`,
    );
    this.end();
  }

  /** The client went away: release resources, write nothing. */
  abandon(): void {
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.stream?.destroy();
  }

  private write(payload: Record<string, unknown>): void {
    this.stream?.write(`data: ${JSON.stringify(payload)}\n\n`);
    this.armKeepAlive();
  }

  private end(): void {
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = null;
    this.stream?.end('data: [DONE]\n\n');
  }

  private armKeepAlive(): void {
    if (this.keepAlive) this.keepAlive.refresh();
    else this.keepAlive = setInterval(() => this.stream?.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
  }
}
