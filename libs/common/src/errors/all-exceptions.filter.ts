import type { IncomingMessage } from 'node:http';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject, Logger, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { AppException } from './app.exception.js';
import { ErrorCode, errorCodeForStatus } from './error-codes.js';
import { RecentErrors } from './recent-errors.js';

/** What an app's error formatter is given; it returns the JSON body to send. */
export interface ErrorBodyInfo {
  status: number;
  code: string;
  /** The human-readable message (the `detail` string, or a summary of a validation list). */
  message: string;
  /** The default body (`{"detail", "code"}`, or the body the exception gave), for formatters that only adjust it. */
  defaultBody: Record<string, unknown>;
  path: string;
  /** The request field at fault, when one is (OpenAI's `param`). */
  param: string | null;
  /** Whether `defaultBody` is a body the exception gave explicitly (formatters with `explicitBodies` see those). */
  explicit: boolean;
}

export interface ErrorBodyFormatter {
  (info: ErrorBodyInfo): Record<string, unknown>;
  /**
   * Reshape also the bodies exceptions give explicitly (`AppException({ body })`): for a service
   * whose paths must all answer in one API's shape whatever decided the error (the gateway).
   */
  explicitBodies?: boolean;
}

/**
 * DI token: an app that must speak another server's error dialect (engine-sim speaks SGLang's and
 * vLLM's) provides a formatter. Bodies given explicitly with `AppException({ body })` are kept.
 */
export const ERROR_BODY_FORMATTER = Symbol('ERROR_BODY_FORMATTER');

/** Fastify's own request errors (body parser, limits) carry a 4xx `statusCode` and an `FST_*` code. */
interface FastifyLikeError {
  statusCode?: unknown;
  code?: unknown;
  message?: unknown;
}

const FASTIFY_CODES: Record<string, { status: number; code: ErrorCode; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: ErrorCode.MALFORMED_JSON, message: 'Malformed JSON body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: ErrorCode.MALFORMED_JSON,
    message: "Body cannot be empty when content-type is set to 'application/json'",
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: ErrorCode.BODY_TOO_LARGE, message: 'Request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    message: 'Unsupported content type; send application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: ErrorCode.BAD_REQUEST,
    message: 'Content-Length does not match the body',
  },
};

function describeHttpException(exception: HttpException): { detail: unknown; message: string } {
  const response = exception.getResponse();
  if (typeof response === 'string') return { detail: response, message: response };
  const message = (response as { message?: unknown }).message;
  if (exception.getStatus() === 404 && typeof message === 'string' && message.startsWith('Cannot ')) {
    return { detail: 'Not Found', message: 'Not Found' };
  }
  if (Array.isArray(message)) return { detail: message.join('; '), message: message.join('; ') };
  const text = typeof message === 'string' ? message : exception.message;
  return { detail: text, message: text };
}

/**
 * Turns every error into a JSON body with a stable `code` and never echoes internals on 5xx.
 * Logs exactly one line per failed request: 4xx at debug, 5xx at error with the stack.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  constructor(
    @Optional() private readonly adapterHost?: HttpAdapterHost,
    @Optional() @Inject(ERROR_BODY_FORMATTER) private readonly formatBody?: ErrorBodyFormatter,
    @Optional() private readonly recent?: RecentErrors,
  ) {}

  /** Methods other than the request's that the path is routed for (so a 404 is really a 405). */
  private allowedMethods(request: FastifyRequest): string[] {
    const fastify = this.adapterHost?.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return [];
    const url = request.url.split('?')[0];
    const methods: HTTPMethods[] = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];
    return methods.filter((method) => method !== request.method && fastify.hasRoute({ url, method }));
  }

  private knownFastifyError(cause: unknown): FastifyLikeError | undefined {
    const code = (cause as FastifyLikeError | null)?.code;
    return typeof code === 'string' && code in FASTIFY_CODES ? (cause as FastifyLikeError) : undefined;
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const request = ctx.getRequest<FastifyRequest>();

    if (reply.sent || reply.raw.headersSent) {
      // A stream was already flowing: nothing sane can be written, so end the connection.
      this.logger.warn({ err: exception, requestId: request.id }, 'error after response started');
      reply.raw.destroy();
      return;
    }

    let status: number;
    let body: Record<string, unknown>;
    let headers: Record<string, string> | undefined;
    if (exception instanceof AppException) {
      status = exception.getStatus();
      body = exception.toBody();
      headers = exception.details.headers;
    } else if (exception instanceof HttpException && !this.knownFastifyError(exception.cause)) {
      status = exception.getStatus();
      const { detail } = describeHttpException(exception);
      body = { detail, code: errorCodeForStatus(status) };
      const allowed = status === 404 && detail === 'Not Found' ? this.allowedMethods(request) : [];
      if (allowed.length > 0) {
        status = 405;
        body = { detail: 'Method Not Allowed', code: ErrorCode.METHOD_NOT_ALLOWED };
        headers = { allow: allowed.join(', ') };
      }
    } else {
      // Fastify's own 4xx (body parser, limits) arrive raw or wrapped by Nest in an HttpException.
      const fastifyError = (this.knownFastifyError((exception as { cause?: unknown } | null)?.cause) ??
        exception ??
        {}) as FastifyLikeError;
      const known = typeof fastifyError.code === 'string' ? FASTIFY_CODES[fastifyError.code] : undefined;
      if (known) {
        status = known.status;
        body = { detail: known.message, code: known.code };
      } else if (
        typeof fastifyError.statusCode === 'number' &&
        fastifyError.statusCode >= 400 &&
        fastifyError.statusCode < 500
      ) {
        status = fastifyError.statusCode;
        const message = typeof fastifyError.message === 'string' ? fastifyError.message : 'Bad request';
        body = { detail: message, code: errorCodeForStatus(status) };
      } else {
        status = 500;
        body = { detail: 'Internal server error', code: ErrorCode.INTERNAL };
      }
    }

    const code = String(body.code);
    const explicitBody = exception instanceof AppException && exception.details.body !== undefined;
    if (this.formatBody && (!explicitBody || this.formatBody.explicitBodies)) {
      const detail = body.detail;
      const message =
        exception instanceof AppException
          ? exception.message
          : typeof detail === 'string'
            ? detail
            : JSON.stringify(detail);
      body = this.formatBody({
        status,
        code: String(body.code),
        message,
        defaultBody: body,
        path: request.url.split('?')[0],
        param: exception instanceof AppException ? (exception.details.param ?? null) : null,
        explicit: explicitBody,
      });
    }

    if (status >= 500) {
      this.logger.error({ err: exception, requestId: request.id, status }, 'request failed');
      this.recent?.add({
        at: new Date().toISOString(),
        status,
        code,
        message: exception instanceof AppException ? exception.message : 'Internal server error',
        path: request.url.split('?')[0],
      });
    } else {
      this.logger.debug({ requestId: request.id, status, code: body.code }, 'request rejected');
    }
    if (headers) void reply.headers(headers);
    const send = (): void =>
      void reply.status(status).header('content-type', 'application/json').send(JSON.stringify(body));
    // Refused before its body was read (413, 415): the connection closes after this answer, and a
    // client still writing would see a broken pipe instead of the status. Read what it sends first.
    afterDrain(request.raw, send);
  }
}

/** Bounds on reading an unwanted body: past them the connection just closes. */
const DRAIN_MAX_BYTES = 64 * 1024 * 1024;
const DRAIN_MAX_MS = 10_000;

/** Calls `send` once the request body has been read and discarded (bounded), or at once when it is complete. */
function afterDrain(raw: IncomingMessage, send: () => void): void {
  if (raw.complete || raw.destroyed || raw.readableEnded) return send();
  let received = 0;
  let sent = false;
  const finish = (): void => {
    if (sent) return;
    sent = true;
    clearTimeout(timer);
    raw.removeListener('data', onData);
    raw.removeListener('end', finish);
    raw.removeListener('error', finish);
    raw.removeListener('close', finish);
    send();
  };
  const onData = (chunk: Buffer): void => {
    received += chunk.length;
    if (received > DRAIN_MAX_BYTES) finish();
  };
  const timer = setTimeout(finish, DRAIN_MAX_MS);
  raw.on('data', onData);
  raw.once('end', finish);
  raw.once('error', finish);
  raw.once('close', finish);
  raw.resume();
}
