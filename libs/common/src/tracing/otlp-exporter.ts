import { Logger } from '@nestjs/common';
import type { HttpClient } from '../http-client/http-client.js';
import type { TraceContext } from './trace-context.js';

/** One finished server span, as the bootstrap records it for every request. */
export interface FinishedSpan {
  context: TraceContext;
  name: string;
  startUnixNano: bigint;
  endUnixNano: bigint;
  attributes: Record<string, string | number>;
  error: boolean;
}

const FLUSH_EVERY_MS = 1000;
const MAX_BATCH = 512;
/** Spans held while the collector is slow or down; past this, new spans are dropped (counted). */
const MAX_BUFFERED = 8192;

function attribute(key: string, value: string | number): Record<string, unknown> {
  return {
    key,
    value:
      typeof value === 'number' && Number.isInteger(value)
        ? { intValue: String(value) }
        : { stringValue: String(value) },
  };
}

/**
 * Exports spans over OTLP/HTTP (JSON encoding, `POST <endpoint>/v1/traces`) in batches, through
 * the process's pooled client. Only built with `--otlp-endpoint`: without it no span is recorded
 * or buffered. A collector that fails costs a warning per minute, never a request.
 */
export class OtlpSpanExporter {
  private readonly logger = new Logger('OtlpSpanExporter');
  private buffer: FinishedSpan[] = [];
  private readonly timer: NodeJS.Timeout;
  private dropped = 0;
  private lastWarning = 0;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly endpoint: string,
    private readonly serviceName: string,
    private readonly http: HttpClient,
  ) {
    this.timer = setInterval(() => void this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  record(span: FinishedSpan): void {
    if (this.buffer.length >= MAX_BUFFERED) {
      this.dropped++;
      return;
    }
    this.buffer.push(span);
    if (this.buffer.length >= MAX_BATCH) void this.flush();
  }

  /** Sends what is buffered (one batch at a time). */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.buffer.length === 0) return;
    const batch = this.buffer.splice(0, MAX_BATCH);
    this.flushing = this.send(batch).finally(() => (this.flushing = null));
    return this.flushing;
  }

  async shutdown(): Promise<void> {
    clearInterval(this.timer);
    while (this.buffer.length > 0 || this.flushing) await this.flush();
  }

  private async send(batch: FinishedSpan[]): Promise<void> {
    const body = {
      resourceSpans: [
        {
          resource: { attributes: [attribute('service.name', this.serviceName)] },
          scopeSpans: [
            {
              scope: { name: 'rollout-inference-service' },
              spans: batch.map((span) => ({
                traceId: span.context.traceId,
                spanId: span.context.spanId,
                ...(span.context.parentSpanId ? { parentSpanId: span.context.parentSpanId } : {}),
                name: span.name,
                kind: 2, // SERVER
                startTimeUnixNano: String(span.startUnixNano),
                endTimeUnixNano: String(span.endUnixNano),
                attributes: Object.entries(span.attributes).map(([key, value]) => attribute(key, value)),
                status: { code: span.error ? 2 : 1 },
              })),
            },
          ],
        },
      ],
    };
    try {
      const res = await this.http.request({
        method: 'POST',
        url: `${this.endpoint.replace(/\/$/, '')}/v1/traces`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        timeoutMs: 10_000,
        maxResponseBytes: 1024 * 1024,
      });
      if (res.status >= 300) this.warn(`collector answered ${res.status}`);
    } catch (err) {
      this.warn(err instanceof Error ? err.message : String(err));
    }
  }

  private warn(reason: string): void {
    const now = Date.now();
    if (now - this.lastWarning < 60_000) return;
    this.lastWarning = now;
    this.logger.warn({ endpoint: this.endpoint, reason, dropped: this.dropped }, 'span export failed');
  }
}
