import { Inject, Injectable } from '@nestjs/common';
import {
  APP_OPTIONS,
  extractCallerKey,
  MetricsService,
  SizedLruMap,
  type JsonBodyPlan,
  type JsonBodyReuse,
} from '@app/common';
import type { FastifyRequest } from 'fastify';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import { mirroredCounters } from '../metrics/data-proxy-metrics.js';
import { noteContinuedList } from '../sessions/continued-messages.js';
import { continueOutline, outlineMessages, type MessagesOutline } from './json-outline.js';

/** The agent APIs whose bodies carry the conversation as `messages`. */
const CONVERSATION_PATHS = new Set(['/v1/chat/completions', '/chat/completions', '/v1/messages']);

/** Below this size a body parses in tens of microseconds: nothing is kept for it (nor held in memory). */
const MIN_KEPT_BYTES = 32 * 1024;

/**
 * A caller's last large body: its bytes, where its messages are, and their parsed values. The
 * bytes are the body parser's own copy (Fastify joins a body's socket chunks into a new buffer,
 * never a slice of its shared pool at this size).
 */
interface KeptBody {
  bytes: Buffer;
  outline: MessagesOutline;
  messages: unknown[];
}

/**
 * Parses a conversation's next request from what is new in it. An agent resends its whole
 * conversation each turn, so a late turn's body (60–100 KB at 15k tokens) is the previous body's
 * bytes up to its last message, then the answer and the new message. For each caller key and API
 * path the last large body is kept (bytes, messages outline, parsed messages); a body whose bytes
 * begin with the kept one's up to its last message is parsed without those messages (the
 * prototype-poisoning checks run on that text as on any body) and gets the kept message values in
 * front of its own. Only the new part is decoded: the kept part is compared as bytes. The value
 * equals `JSON.parse` of the whole body decoded; any body that does not continue exactly that way
 * is decoded and parsed in full. The reused message objects are the same objects
 * from turn to turn, which makes matching a turn to its parent a pointer comparison
 * (`InteractionCache`). Bounded by `--conversation-body-cache-mb` (least recently used first out).
 */
@Injectable()
export class ConversationBodies implements JsonBodyReuse {
  private readonly kept: SizedLruMap<string, KeptBody>;
  private readonly maxBytes: number;
  /** Bodies parsed from what was new in them, and large ones parsed in full (for tests and diagnostics). */
  readonly counts = { continued: 0, full: 0 };

  constructor(@Inject(APP_OPTIONS) options: DataProxyOptions, metrics: MetricsService) {
    // The bytes, and the parsed messages about as much again.
    this.maxBytes = (options['conversation-body-cache-mb'] * 1024 * 1024) / 2;
    this.kept = new SizedLruMap(this.maxBytes, (body) => body.bytes.length);
    mirroredCounters(
      metrics,
      'data_proxy_conversation_bodies_total',
      "Large chat/messages bodies, by how they were parsed: `continued` (only what is new since the caller's previous body) or `full`",
      'parsed',
      () => this.counts,
    );
  }

  plan(bytes: Buffer, request: FastifyRequest): JsonBodyPlan | null {
    if (bytes.length < MIN_KEPT_BYTES || this.maxBytes === 0) return null;
    const key = keyOf(request);
    if (key === null) return null;
    const kept = this.kept.get(key);
    if (kept === undefined) return null;
    const last = kept.outline.ends.at(-1);
    // The kept messages, in the same bytes up to the end of the last of them.
    if (last === undefined || bytes.length <= last || bytes.compare(kept.bytes, 0, last, 0, last) !== 0) return null;
    const outline = continueOutline(bytes, kept.outline);
    if (outline === null) return null;
    const open = kept.outline.open;
    // Without the kept messages (and the comma after them when more follow): `[` then the new ones.
    // Both cuts are at ASCII delimiters, so the two parts decode as the whole body would.
    const delimiter = bytes.indexOf(outline.ends.length > kept.messages.length ? 0x2c : 0x5d, last);
    const rest = bytes[delimiter] === 0x2c ? delimiter + 1 : delimiter;
    const added = outline.ends.length - kept.messages.length;
    return {
      text: bytes.toString('utf8', 0, open + 1) + bytes.toString('utf8', rest),
      complete: (parsed) => {
        const body = parsed as { messages?: unknown } | null;
        if (!Array.isArray(body?.messages) || body.messages.length !== added) return undefined;
        const messages = kept.messages.concat(body.messages);
        noteContinuedList(messages, kept.messages, kept.messages.length);
        body.messages = messages;
        this.counts.continued++;
        this.kept.set(key, { bytes, outline, messages });
        return body;
      },
    };
  }

  parsedInFull(bytes: Buffer, value: unknown, request: FastifyRequest): void {
    // A small body keeps nothing (a large one kept before stays until the bound pushes it out).
    if (bytes.length < MIN_KEPT_BYTES || this.maxBytes === 0) return;
    const key = keyOf(request);
    if (key === null) return;
    this.counts.full++;
    const outline = outlineMessages(bytes);
    const messages = (value as { messages?: unknown } | null)?.messages;
    if (outline === null || !Array.isArray(messages) || messages.length !== outline.ends.length) this.kept.delete(key);
    else this.kept.set(key, { bytes, outline, messages });
  }
}

/** One conversation per caller key and API path (a key's bodies on another path never continue these). */
function keyOf(request: FastifyRequest): string | null {
  const query = request.url.indexOf('?');
  const path = query < 0 ? request.url : request.url.slice(0, query);
  if (!CONVERSATION_PATHS.has(path)) return null;
  const callerKey = extractCallerKey(request.headers);
  return callerKey === null || callerKey.length === 0 ? null : `${path}\u0000${callerKey}`;
}
