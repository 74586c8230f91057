import type { PassThrough } from 'node:stream';
import { Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AppException, sendEventStream } from '@app/common';
import type { TurnResult } from './turn.js';
import type { ToolCall } from './output-parser.js';
import type { TokenLogprob } from './token-logprobs.js';

/**
 * Where a streamed turn's pieces go, in the order the pipeline produces them: `start` at the first
 * token, visible `text` and completed `toolCall`s as they come, then `finish`, or `error` after
 * the stream began, or `abandon` when the client left. One implementation per agent API.
 */
export interface TurnSink {
  readonly started: boolean;
  start(): void;
  /**
   * Output tokens as they arrive (before the text they make), with their log-probs when the
   * request asked for them; called only when it asked for log-probs or token ids.
   */
  tokens(ids: readonly number[], logprobs: TokenLogprob[] | null): void;
  text(delta: string): void;
  toolCall(call: ToolCall): void;
  finish(result: TurnResult): void;
  error(err: unknown): void;
  abandon(): void;
}

const KEEP_ALIVE_MS = 15_000;
const logger = new Logger('TurnStream');

/** What an error after the stream began says: the status it would have had, and a safe message. */
export function streamErrorInfo(err: unknown): { status: number; message: string; code: string } {
  if (err instanceof AppException) return { status: err.getStatus(), message: err.message, code: err.code };
  logger.error({ err }, 'stream failed');
  return { status: 500, message: 'Internal server error', code: 'INTERNAL' };
}

/**
 * The SSE side shared by every API's stream. Headers go out when the first token arrives, so an
 * error before any token (bad engine, retries exhausted) is still a plain HTTP error with its
 * status; after that, errors become the API's error event. A comment line every 15 s keeps idle
 * streams (a long pause for a weight update) alive through proxies.
 */
export abstract class SseTurnStream implements TurnSink {
  private stream: PassThrough | null = null;
  private keepAlive: NodeJS.Timeout | null = null;

  constructor(private readonly reply: FastifyReply) {}

  get started(): boolean {
    return this.stream !== null;
  }

  start(): void {
    if (this.stream) return;
    this.stream = sendEventStream(this.reply);
    this.opened();
    this.armKeepAlive();
  }

  /** Streams that show no token data ignore them. */
  tokens(_ids: readonly number[], _logprobs: TokenLogprob[] | null): void {}
  abstract text(delta: string): void;
  abstract toolCall(call: ToolCall): void;
  abstract finish(result: TurnResult): void;
  abstract error(err: unknown): void;
  /** The API's opening events, written once when the stream starts. */
  protected abstract opened(): void;

  /** The client went away: release resources, write nothing. */
  abandon(): void {
    this.stopKeepAlive();
    this.stream?.destroy();
  }

  /** One `data:` event (and its `event:` name, for APIs that name their events). */
  protected send(payload: object, event?: string): void {
    if (!this.stream) this.start();
    this.stream?.write(
      event ? `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n` : `data: ${JSON.stringify(payload)}\n\n`,
    );
    this.armKeepAlive();
  }

  /** Ends the stream, after a last raw line if given (chat's `data: [DONE]`). */
  protected end(last?: string): void {
    this.stopKeepAlive();
    this.stream?.end(last);
  }

  private stopKeepAlive(): void {
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = null;
  }

  private armKeepAlive(): void {
    if (this.keepAlive) this.keepAlive.refresh();
    else this.keepAlive = setInterval(() => this.stream?.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
  }
}
