import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_OPTIONS, HttpClient, MetricsService } from '@app/common';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import type { ReadyTrajectory } from '../sessions/session.js';
import { SessionStore } from '../sessions/session-store.service.js';
import { RewardsService } from './rewards.service.js';
import { HITL_SESSION_ID, type OnlineReadyRequestDto } from '@app/contracts';

const TICK_MS = 100;
const STALE_SWEEP_MS = 60_000;
const BACKOFF_BASE_MS = 200;
const BACKOFF_MAX_MS = 30_000;

/** Where one ready trajectory's callback stands, between attempts (not journaled: a restart retries at once). */
interface CallbackAttempts {
  inFlight: boolean;
  attempts: number;
  nextAttemptAt: number;
}

/**
 * The background loop, every 100 ms: finalise rewards whose debounce window passed,
 * and announce ready trajectories to the controller (`POST /callback/online_ready`). Deliveries run
 * in parallel and never block the loop; a failed one is retried with exponential back-off (200 ms
 * doubling to 30 s) until it is acknowledged or the trajectory is exported. Each trajectory is
 * announced once: a delivery in flight is never started twice, and an exported trajectory is
 * never announced. Also sweeps stale sessions every minute.
 */
@Injectable()
export class ReadyLoopService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReadyLoopService.name);
  private timer: NodeJS.Timeout | null = null;
  private lastSweep = Date.now();
  /** Keyed by the trajectory itself: an exported one takes its attempts with it. */
  private readonly callbacks = new WeakMap<ReadyTrajectory, CallbackAttempts>();

  constructor(
    private readonly sessions: SessionStore,
    private readonly rewards: RewardsService,
    private readonly http: HttpClient,
    @Inject(APP_OPTIONS) private readonly options: DataProxyOptions,
    private readonly metrics: MetricsService,
  ) {}

  private readonly delivered = this.metrics.counter(
    'data_proxy_callbacks_delivered_total',
    'Ready callbacks acknowledged by the controller',
  );
  private readonly failed = this.metrics.counter(
    'data_proxy_callback_failures_total',
    'Ready callback attempts that failed (retried)',
  );

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass; exposed for tests. Never throws. */
  tick(now: number = Date.now()): void {
    try {
      this.rewards.finalizeDue(now);
      this.announce(now);
      const ttlMs = this.options.ms['session-ttl'];
      if (ttlMs > 0 && now - this.lastSweep >= STALE_SWEEP_MS) {
        this.lastSweep = now;
        const removed = this.sessions.removeStale(ttlMs, now);
        if (removed.length > 0) this.logger.log({ count: removed.length }, 'removed stale sessions');
      }
    } catch (err) {
      this.logger.error({ err }, 'ready loop pass failed');
    }
  }

  private announce(now: number): void {
    const target = this.options['callback-server-addr'].replace(/\/+$/, '');
    if (!target) return;
    for (const session of this.sessions.all()) {
      if (session.id !== HITL_SESSION_ID && !this.options['callback-all-sessions']) continue;
      for (const trajectory of session.ready.values()) {
        if (trajectory.delivered) continue;
        let state = this.callbacks.get(trajectory);
        if (!state) {
          state = { inFlight: false, attempts: 0, nextAttemptAt: 0 };
          this.callbacks.set(trajectory, state);
        }
        if (state.inFlight || state.nextAttemptAt > now) continue;
        void this.deliver(target, session.id, trajectory, state);
      }
    }
  }

  private async deliver(
    target: string,
    sessionId: string,
    trajectory: ReadyTrajectory,
    state: CallbackAttempts,
  ): Promise<void> {
    state.inFlight = true;
    try {
      const response = await this.http.request({
        method: 'POST',
        url: `${target}/callback/online_ready`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.options['admin-api-key']}` },
        body: JSON.stringify({
          session_id: sessionId,
          trajectory_id: trajectory.trajectoryId,
        } satisfies OnlineReadyRequestDto),
        timeoutMs: Math.min(this.options.ms['request-timeout'], 10_000),
        upstreamName: 'controller',
      });
      if (response.status < 400) {
        // Delivered is part of what survives a crash: a recovered trajectory is not announced twice.
        this.sessions.markDelivered(sessionId, trajectory);
        this.delivered.inc();
        return;
      }
      this.retryLater(state, `HTTP ${response.status}`, sessionId, trajectory.trajectoryId);
    } catch (err) {
      this.retryLater(state, err instanceof Error ? err.message : String(err), sessionId, trajectory.trajectoryId);
    } finally {
      state.inFlight = false;
    }
  }

  private retryLater(state: CallbackAttempts, error: string, sessionId: string, trajectoryId: number): void {
    state.attempts++;
    state.nextAttemptAt = Date.now() + Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (state.attempts - 1));
    this.failed.inc();
    if (state.attempts === 1 || state.attempts % 10 === 0) {
      this.logger.warn(
        { session: sessionId, trajectory: trajectoryId, attempts: state.attempts, error },
        'ready callback failed; retrying',
      );
    }
  }
}
