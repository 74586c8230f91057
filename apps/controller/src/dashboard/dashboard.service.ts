import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { isJsonObject, RecentErrors } from '@app/common';
import { ControlService } from '../control/control.service.js';
import { RolloutExecutor } from '../rollout/rollout-executor.service.js';
import type { DashboardErrorDto, DashboardSnapshotDto, TimelineEventDto } from '@app/contracts';

const TICK_MS = 1000;
const TIMELINE_KEPT = 200;
const ERRORS_SHOWN = 20;

const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/**
 * Feeds the live dashboard: one snapshot of the stack per second, built once however many
 * dashboards are open (one status round over the services, not one per viewer), and only while
 * someone watches. Keeps the weight-version timeline (versions and pause windows) from the
 * control events, so a dashboard opened later still sees it.
 */
@Injectable()
export class DashboardService implements OnModuleDestroy {
  private readonly viewers = new Set<(snapshot: DashboardSnapshotDto) => void>();
  private readonly timeline: TimelineEventDto[] = [];
  private timer: NodeJS.Timeout | null = null;
  private latest: DashboardSnapshotDto | null = null;
  private building = false;

  constructor(
    private readonly control: ControlService,
    private readonly executor: RolloutExecutor,
    private readonly errors: RecentErrors,
  ) {
    control.onControl((event) => {
      this.timeline.push({ at: Date.now(), kind: event.kind, version: control.version });
      if (this.timeline.length > TIMELINE_KEPT) this.timeline.shift();
    });
  }

  /** Adds a viewer: it gets the latest snapshot at once, then one per tick. Returns its removal. */
  watch(viewer: (snapshot: DashboardSnapshotDto) => void): () => void {
    this.viewers.add(viewer);
    if (this.latest) viewer(this.latest);
    if (!this.timer) {
      void this.tick();
      this.timer = setInterval(() => void this.tick(), TICK_MS);
    }
    return () => {
      this.viewers.delete(viewer);
      if (this.viewers.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.viewers.clear();
  }

  private async tick(): Promise<void> {
    // A slow status round (an unreachable service) is not stacked up behind itself.
    if (this.building) return;
    this.building = true;
    try {
      this.latest = await this.snapshot();
      for (const viewer of this.viewers) viewer(this.latest);
    } finally {
      this.building = false;
    }
  }

  async snapshot(): Promise<DashboardSnapshotDto> {
    const status = await this.control.status();
    const healthOf = (health: unknown): { healthy: boolean; detail: string } => {
      if (!isJsonObject(health) || health.ok === false)
        return {
          healthy: false,
          detail: isJsonObject(health) && typeof health.error === 'string' ? health.error : 'down',
        };
      return { healthy: true, detail: typeof health.status === 'string' ? health.status : 'ok' };
    };
    const errors: DashboardErrorDto[] = this.errors.list().map((e) => ({ ...e, source: 'controller' }));
    const proxies = status.data_proxies.map((proxy, i) => {
      const h = isJsonObject(proxy.health) ? proxy.health : {};
      for (const e of Array.isArray(h.recent_errors) ? h.recent_errors : [])
        if (isJsonObject(e))
          errors.push({
            at: String(e.at),
            source: `data-proxy-${i}`,
            status: num(e.status),
            code: String(e.code),
            message: String(e.message),
            path: String(e.path),
          });
      return {
        addr: proxy.addr,
        healthy: healthOf(proxy.health).healthy,
        version: typeof h.version === 'number' ? h.version : null,
        paused: h.paused === true,
        sessions: num(h.sessions),
        in_flight: num(h.active_requests),
        parked: num(h.parked_requests),
        turns: num(h.turns),
        output_tokens: num(h.output_tokens),
        resubmits: num(h.resubmits),
        cache_hit_rate: typeof h.cache_hit_rate === 'number' ? h.cache_hit_rate : null,
      };
    });
    const components = [
      { name: 'gateway', addr: status.gateway.addr, ...healthOf(status.gateway.health) },
      { name: 'router', addr: status.router.addr, ...healthOf(status.router.health) },
      ...status.data_proxies.map((p, i) => ({ name: `data-proxy-${i}`, addr: p.addr, ...healthOf(p.health) })),
      ...status.engines.map((e, i) => ({ name: `engine-${i}`, addr: e.addr, ...healthOf(e.health) })),
    ];
    const terms = this.executor.staleness.terms();
    const outcomes = Object.fromEntries(this.executor.outcomes);
    return {
      at: Date.now(),
      stack: {
        state: status.state,
        mode: status.mode,
        version: status.version,
        paused: status.paused,
        offloaded: status.offloaded,
        components,
      },
      rollout: {
        queued: this.executor.queued,
        running: terms.running,
        accepted: outcomes.accepted ?? 0,
        rejected: Object.entries(outcomes).reduce((n, [kind, count]) => (kind === 'accepted' ? n : n + count), 0),
        outcomes,
      },
      capacity: { ...terms },
      timeline: [...this.timeline],
      data_proxies: proxies,
      errors: errors.sort((a, b) => a.at.localeCompare(b.at)).slice(-ERRORS_SHOWN),
    };
  }
}
