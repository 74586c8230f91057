import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_OPTIONS, HttpClient } from '@app/common';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import { ExportService } from '../export/export.service.js';
import { InfBridgeService } from '../inference/inf-bridge.service.js';

/**
 * Self-registration: with `--router-addr`, the data proxy registers itself with the router and
 * repeats the (idempotent) registration every `--heartbeat-interval` seconds, so that a router
 * that restarted, or a data proxy that was scaled up, is routed to without anyone's help. A
 * router started with `--evict-after-polls` drops a data proxy whose heartbeats stop. On an
 * orderly shutdown the data proxy unregisters itself at once.
 */
@Injectable()
export class RouterRegistrationService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RouterRegistrationService.name);
  private timer: NodeJS.Timeout | null = null;
  private registered = false;
  private stopped = false;

  constructor(
    @Inject(APP_OPTIONS) private readonly options: DataProxyOptions,
    private readonly http: HttpClient,
    private readonly exports: ExportService,
    private readonly bridge: InfBridgeService,
  ) {}

  private get routerAddr(): string {
    return this.options['router-addr'].replace(/\/+$/, '');
  }

  /** The URL the router and gateways reach this data proxy at. */
  get advertisedAddr(): string {
    return `http://${this.exports.servingAddr()}`;
  }

  onApplicationBootstrap(): void {
    if (!this.routerAddr) return;
    // The first beat waits for the server to listen (the port may be chosen at bind time).
    this.schedule(100);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.routerAddr || !this.registered) return;
    await this.http
      .requestJson({
        method: 'POST',
        url: `${this.routerAddr}/unregister`,
        headers: { authorization: `Bearer ${this.options['admin-api-key']}` },
        json: { worker_addr: this.advertisedAddr },
        timeoutMs: 2_000,
        upstreamName: 'router',
      })
      .catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.beat(), delayMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    try {
      if (this.exports.servingAddr().endsWith(':0')) return; // not listening yet
      const res = await this.http.requestJson<{ worker_id?: string }>({
        method: 'POST',
        url: `${this.routerAddr}/register`,
        headers: { authorization: `Bearer ${this.options['admin-api-key']}` },
        json: { worker_addr: this.advertisedAddr, active_requests: this.bridge.activeRequests },
        timeoutMs: 5_000,
        upstreamName: 'router',
      });
      const ok = res.status === 200;
      if (ok !== this.registered || !ok) {
        if (ok)
          this.logger.log({ router: this.routerAddr, workerId: res.json?.worker_id }, 'registered with the router');
        else this.logger.warn({ router: this.routerAddr, status: res.status }, 'the router refused the registration');
      }
      this.registered = ok;
    } catch (err) {
      if (this.registered) this.logger.warn({ router: this.routerAddr, error: String(err) }, 'router unreachable');
      this.registered = false;
    } finally {
      this.schedule(this.registered ? this.options['heartbeat-interval'] * 1000 : 500);
    }
  }
}
