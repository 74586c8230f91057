import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { LogController, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import type { BaseAppOptions } from '../config/app-config.js';
import { requestLoggerFactory } from '../logging/request-logger.js';

const REQUEST_ID_PATTERN = /^[\w.:@/+=-]{1,128}$/;

function requestIdOf(req: IncomingMessage): string {
  const inbound = req.headers['x-request-id'];
  return typeof inbound === 'string' && REQUEST_ID_PATTERN.test(inbound) ? inbound : randomUUID();
}

/**
 * The Fastify adapter of a service: JSON pino logging (access log on demand; `request.log` made
 * when first written), request ids (the caller's `x-request-id` when it is a sane one), the body
 * limit and keep-alive from the options, and a close that answers 503 and drops idle connections.
 */
export function createFastifyAdapter(options: BaseAppOptions, logger: PinoLogger): FastifyAdapter {
  return new FastifyAdapter({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: !options['access-log'], requestIdLogLabel: 'requestId' }),
    childLoggerFactory: requestLoggerFactory,
    bodyLimit: options['max-body-bytes'],
    keepAliveTimeout: options['keep-alive-timeout-ms'],
    genReqId: requestIdOf,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
}

/**
 * A shortcut an app gives the JSON body parser for bodies that repeat most of one it parsed before
 * (an agent resending its conversation each turn): a shorter text to parse, and how to complete
 * its value into the whole body's, which must equal what parsing the whole text gives.
 */
export interface JsonBodyReuse {
  /**
   * The plan for a body's bytes (not decoded: a plan decodes only what it parses), or null: the
   * body is decoded and parsed as it is (then `parsedInFull`).
   */
  plan(bytes: Buffer, request: FastifyRequest): JsonBodyPlan | null;
  /** The body `bytes` was parsed in full into `value`: what a later body of the same caller may reuse. */
  parsedInFull(bytes: Buffer, value: unknown, request: FastifyRequest): void;
}

export interface JsonBodyPlan {
  /** What is parsed instead of the body, through the same secure parser (prototype-poisoning checks included). */
  text: string;
  /** The body's value from `text`'s; undefined when the plan does not hold (the body is then parsed in full). */
  complete(parsed: unknown): unknown;
}

/**
 * The body parsers: JSON (or, with `rawJsonBodies`, the raw Buffer of a JSON body for proxies that
 * forward the original bytes; with `reuse`, a body that continues an earlier one is parsed from
 * what is new in it) and `application/octet-stream` as a Buffer.
 */
export function registerBodyParsers(
  fastify: FastifyInstance,
  rawJsonBodies: boolean,
  reuse: JsonBodyReuse | null = null,
): void {
  // Like FastAPI, accept `content-type: application/json` with an empty body (clients send it on
  // body-less POSTs such as /grant_capacity); Fastify's own parser would answer 400. Everything
  // else goes to Fastify's secure parser (prototype-poisoning protection included).
  const jsonParser = fastify.getDefaultJsonParser('error', 'error');
  const parseText = (request: FastifyRequest, text: string, done: (err: Error | null, value: unknown) => void) => {
    if (text.trim() === '') done(null, undefined);
    else void jsonParser(request, text, done);
  };
  fastify.removeContentTypeParser('application/json');
  if (rawJsonBodies) {
    fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  } else if (reuse === null) {
    fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
      parseText(request, body as string, done),
    );
  } else
    // As bytes: a body that continues an earlier one is compared as bytes and only its new part
    // decoded (a late agent turn's 65 KB body is not turned into a string each turn).
    fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
      const bytes = body as Buffer;
      const plan = reuse.plan(bytes, request);
      if (plan !== null) {
        // Fastify's JSON parser answers synchronously; a plan whose text fails, or whose value does
        // not complete, falls through to the whole body (which gives the error, if any).
        let completed: unknown;
        void jsonParser(request, plan.text, (err, value) => {
          if (err === null) completed = plan.complete(value);
        });
        if (completed !== undefined) {
          done(null, completed);
          return;
        }
      }
      // Decoded as Fastify decodes a body it reads as a string.
      parseText(request, bytes.toString('utf8'), (err, value) => {
        if (err === null && value !== undefined) reuse.parsedInFull(bytes, value, request);
        done(err, value);
      });
    });
  // Raw bytes (tensor payloads, forwarded bodies) arrive as a Buffer for the handler to read.
  fastify.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );
}

/** The Node server's own timers, which must agree with the keep-alive timeout. */
export function applyServerTimeouts(server: Server, options: BaseAppOptions): void {
  // Node requires headersTimeout > keepAliveTimeout, or idle sockets race the header timer.
  server.headersTimeout = options['keep-alive-timeout-ms'] + 1000;
  server.requestTimeout = 0;
}
