import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { abortOnClientClose, APP_OPTIONS, HttpClient, sendEventStream, type RawResponse } from '@app/common';
import type { GatewayOptions } from '../config/gateway-options.js';
import { streamDialectOf, streamErrorEvent } from '@app/contracts';
import { transportError } from './gateway-error.js';
import { forwardRequestHeaders, responseHeaders } from './headers.js';

export interface ForwardTarget {
  workerAddr: string;
  path: string;
  /** The original request bytes (or a rewritten body, for export's model substitution). */
  body: Buffer | string | undefined;
  method?: 'GET' | 'POST';
  timeoutMs?: number;
  /** Sets the content type (for bodies the gateway writes itself). */
  contentType?: string;
}

/**
 * Moves requests between the caller and a data proxy through the process's pooled client: the
 * original bytes go out, status, body and content type come back unchanged. Streams are relayed
 * byte for byte with backpressure; a client that goes away cancels the upstream request.
 */
@Injectable()
export class ForwarderService {
  private readonly logger = new Logger(ForwarderService.name);

  constructor(
    private readonly http: HttpClient,
    @Inject(APP_OPTIONS) private readonly options: GatewayOptions,
  ) {}

  /** Sends the request and returns the data proxy's whole answer (mapped transport errors). */
  async call(request: FastifyRequest, target: ForwardTarget, signal?: AbortSignal): Promise<RawResponse> {
    const timeoutMs = target.timeoutMs ?? this.options.ms['forward-timeout'];
    try {
      return await this.http.request({
        method: target.method ?? 'POST',
        url: `${target.workerAddr}${target.path}`,
        headers: {
          ...forwardRequestHeaders(request.headers),
          ...(target.contentType ? { 'content-type': target.contentType } : {}),
        },
        body: target.method === 'GET' ? undefined : (target.body ?? ''),
        headersTimeoutMs: timeoutMs,
        bodyTimeoutMs: timeoutMs,
        signal,
        requestId: request.id,
        upstreamName: `data proxy ${target.workerAddr}`,
        maxResponseBytes: 1024 * 1024 * 1024,
      });
    } catch (err) {
      throw transportError(err, `data proxy ${target.workerAddr}`);
    }
  }

  /** Forwards and relays the answer as is. */
  async relay(request: FastifyRequest, reply: FastifyReply, target: ForwardTarget): Promise<void> {
    const abort = abortOnClientClose(reply);
    const response = await this.call(request, target, abort.signal);
    send(reply, response);
  }

  /**
   * The SSE path. The upstream status is known before the first byte goes out, so an error
   * answer keeps its real status (the reference always said 200). After that, bytes are relayed
   * as they arrive; a failure mid-stream ends it with an OpenAI-style error event; idle streams
   * get `: keep-alive` comments between events.
   */
  async stream(request: FastifyRequest, reply: FastifyReply, target: ForwardTarget): Promise<void> {
    const abort = abortOnClientClose(reply);
    const timeoutMs = this.options.ms['forward-timeout'];
    let upstream;
    try {
      upstream = await this.http.stream({
        method: 'POST',
        url: `${target.workerAddr}${target.path}`,
        headers: forwardRequestHeaders(request.headers),
        body: target.body ?? '',
        headersTimeoutMs: timeoutMs,
        bodyTimeoutMs: timeoutMs,
        signal: abort.signal,
        requestId: request.id,
        upstreamName: `data proxy ${target.workerAddr}`,
      });
    } catch (err) {
      throw transportError(err, `data proxy ${target.workerAddr}`);
    }
    const contentType = String(upstream.headers['content-type'] ?? '');
    if (upstream.status !== 200 || !contentType.includes('text/event-stream')) {
      // Not a stream (an error, or a JSON answer): relay it whole with its status.
      const chunks: Buffer[] = [];
      try {
        for await (const chunk of upstream.body) chunks.push(chunk as Buffer);
      } catch (err) {
        throw transportError(err, `data proxy ${target.workerAddr}`);
      }
      send(reply, { status: upstream.status, headers: upstream.headers, body: Buffer.concat(chunks) });
      return;
    }

    const out = sendEventStream(reply);
    const body = upstream.body;
    let atEventBoundary = true;
    let lastWrite = Date.now();
    const keepAliveMs = this.options.ms['sse-keepalive'];
    const timer =
      keepAliveMs > 0
        ? setInterval(
            () => {
              if (atEventBoundary && Date.now() - lastWrite >= keepAliveMs) {
                out.write(': keep-alive\n\n');
                lastWrite = Date.now();
              }
            },
            Math.max(250, keepAliveMs / 4),
          )
        : null;
    const finish = (): void => {
      if (timer) clearInterval(timer);
    };
    body.on('data', (chunk: Buffer) => {
      lastWrite = Date.now();
      atEventBoundary = chunk.length >= 2 && chunk[chunk.length - 1] === 0x0a && chunk[chunk.length - 2] === 0x0a;
      if (!out.write(chunk)) body.pause();
    });
    out.on('drain', () => body.resume());
    body.once('end', () => {
      finish();
      out.end();
    });
    body.once('error', (err: Error) => {
      finish();
      if (abort.signal.aborted) {
        out.destroy();
        return;
      }
      this.logger.warn({ err: err.message, worker: target.workerAddr }, 'upstream stream failed');
      const prefix = atEventBoundary ? '' : '\n\n';
      const { event, data } = streamErrorEvent(
        streamDialectOf(request.url.split('?')[0]),
        502,
        `upstream stream failed: ${err.message}`,
        'UPSTREAM_UNAVAILABLE',
      );
      out.end(`${prefix}${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
    });
    reply.raw.once('close', () => {
      finish();
      if (!reply.raw.writableFinished) body.destroy();
    });
  }
}

export function send(reply: FastifyReply, response: RawResponse): void {
  const contentType =
    typeof response.headers['content-type'] === 'string' ? response.headers['content-type'] : 'application/json';
  void reply
    .status(response.status)
    .headers(responseHeaders(response.headers))
    .header('content-type', contentType)
    .send(response.body);
}

/** The request body parsed as JSON, for the few fields the gateway reads; `valid: false` if it is not JSON. */
export function readJson(body: unknown): { valid: boolean; value: unknown } {
  if (body === undefined || body === null) return { valid: true, value: undefined };
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : null;
  if (text === null) return { valid: true, value: body };
  if (text.trim().length === 0) return { valid: true, value: undefined };
  try {
    return { valid: true, value: JSON.parse(text) as unknown };
  } catch {
    return { valid: false, value: undefined };
  }
}

/** The original bytes to forward. */
export function rawBody(body: unknown): Buffer | string | undefined {
  if (Buffer.isBuffer(body) || typeof body === 'string') return body;
  return body === undefined || body === null ? undefined : JSON.stringify(body);
}
