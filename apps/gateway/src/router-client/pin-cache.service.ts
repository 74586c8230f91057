import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Counter } from 'prom-client';
import { APP_OPTIONS, discardBody, HttpClient, MetricsService, readSseData } from '@app/common';
import type { PinEventDto } from '@app/contracts';
import type { GatewayOptions } from '../config/gateway-options.js';

const MAX_ENTRIES = 200_000;
const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 5_000;

/**
 * Session pins (key → data proxy) remembered by the gateway so a chat turn needs no router call.
 *
 * Safe by construction (a cache on the hot path must never answer stale): the cache is on only while the router's
 * `/pins/events` stream is connected; every change the router makes to a pin (moved, revoked,
 * worker health flipped, worker gone) arrives as an event that drops the affected entries; an
 * answer is cached only if the gateway has already seen every change up to the sequence number
 * the router stamped on it; and when the stream breaks the whole cache is dropped until it is
 * back. So a revoked or moved pin is never served from the cache.
 */
@Injectable()
export class PinCacheService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PinCacheService.name);
  private readonly pins = new Map<string, string>();
  /** session id → key, so the gateway that unpins a session drops its key at once. */
  private readonly keyBySession = new Map<string, string>();
  private connected = false;
  private seenSeq = -1;
  private stopped = false;
  private abort: AbortController | null = null;
  private retryMs = RETRY_MIN_MS;
  private readonly hits: Counter;
  private readonly misses: Counter;

  constructor(
    private readonly http: HttpClient,
    @Inject(APP_OPTIONS) private readonly options: GatewayOptions,
    metrics: MetricsService,
  ) {
    this.hits = metrics.counter('gateway_pin_cache_hits_total', 'Chat turns routed from the pin cache');
    this.misses = metrics.counter('gateway_pin_cache_misses_total', 'Chat turns that asked the router');
  }

  get enabled(): boolean {
    return this.connected;
  }

  onApplicationBootstrap(): void {
    if (this.options['pin-cache']) void this.follow();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  lookup(key: string): string | undefined {
    if (!this.connected) return undefined;
    const worker = this.pins.get(key);
    if (worker === undefined) this.misses.inc();
    else this.hits.inc();
    return worker;
  }

  /** Remembers a router answer, if every pin change up to it has been seen. */
  remember(key: string, worker: string, pinSeq: unknown, sessionId: unknown): void {
    if (!this.connected || typeof pinSeq !== 'number' || pinSeq > this.seenSeq) return;
    if (this.pins.size >= MAX_ENTRIES) this.clear();
    this.pins.set(key, worker);
    if (typeof sessionId === 'string') this.keyBySession.set(sessionId, key);
  }

  /** Drops a session's pin now (this gateway just asked the router to remove it). */
  forgetSession(sessionId: string): void {
    const key = this.keyBySession.get(sessionId);
    if (key === undefined) return;
    this.keyBySession.delete(sessionId);
    this.pins.delete(key);
  }

  private clear(): void {
    this.pins.clear();
    this.keyBySession.clear();
  }

  private async follow(): Promise<void> {
    while (!this.stopped) {
      this.abort = new AbortController();
      try {
        const response = await this.http.stream({
          method: 'GET',
          url: `${this.options['router-addr']}/pins/events`,
          headers: { authorization: `Bearer ${this.options['admin-api-key']}`, accept: 'text/event-stream' },
          signal: this.abort.signal,
          headersTimeoutMs: 5_000,
          // The router sends a keep-alive every 10 s: silence beyond 30 s means the stream is dead.
          bodyTimeoutMs: 30_000,
          upstreamName: 'router pin stream',
        });
        if (response.status !== 200) {
          discardBody(response.body);
          throw new Error(`router answered HTTP ${response.status}`);
        }
        for await (const data of readSseData(response.body)) this.apply(JSON.parse(data) as PinEventDto);
        throw new Error('router closed the pin stream');
      } catch (err) {
        this.drop();
        if (this.stopped) return;
        this.logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'pin stream down; cache off');
        await new Promise((resolve) => setTimeout(resolve, this.retryMs).unref());
        this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
      }
    }
  }

  private apply(event: PinEventDto): void {
    if (event.type === 'hello') {
      this.clear();
      this.seenSeq = event.seq;
      this.connected = true;
      this.retryMs = RETRY_MIN_MS;
      this.logger.log({ seq: event.seq }, 'pin cache on');
      return;
    }
    if (event.type === 'flush') this.clear();
    else for (const key of event.keys ?? []) this.pins.delete(key);
    this.seenSeq = event.seq;
  }

  private drop(): void {
    if (this.connected) this.logger.warn('pin stream lost; pin cache off until it is back');
    this.connected = false;
    this.clear();
    this.seenSeq = -1;
  }
}
