import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_OPTIONS, HttpClient } from '@app/common';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import { InfBridgeService } from '../inference/inf-bridge.service.js';
import { ServingAddress } from '../serving/serving-address.js';
import { SessionStore } from '../sessions/session-store.service.js';
import type {
  RegisterWorkerRequestDto,
  RegisterWorkerResponseDto,
  RestoreSessionsRequestDto,
  RestoreSessionsResponseDto,
  UnregisterWorkerRequestDto,
} from '@app/contracts';

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
    private readonly servingAddress: ServingAddress,
    private readonly bridge: InfBridgeService,
    private readonly sessions: SessionStore,
  ) {}

  /** The router process our sessions were last announced to; another one has lost them. */
  private announcedTo: string | null = null;

  private get routerAddr(): string {
    return this.options['router-addr'].replace(/\/+$/, '');
  }

  /** The URL the router and gateways reach this data proxy at. */
  get advertisedAddr(): string {
    return `http://${this.servingAddress.hostPort}`;
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
        json: { worker_addr: this.advertisedAddr } satisfies UnregisterWorkerRequestDto,
        timeoutMs: 2_000,
        upstreamName: 'router',
      })
      .catch(() => undefined);
  }

  /**
   * The data proxy is the source of truth for its sessions: a router it has not told about them
   * (it restarted, or this data proxy did) gets every live session, its group and the HITL
   * session, so session keys keep routing here with no trainer action.
   */
  private async restoreSessions(instance: string): Promise<void> {
    const { sessions, hitl } = this.sessions.pinnable();
    if (sessions.length === 0 && !hitl) {
      this.announcedTo = instance;
      return;
    }
    const res = await this.http.requestJson<Partial<RestoreSessionsResponseDto>>({
      method: 'POST',
      url: `${this.routerAddr}/restore_sessions`,
      headers: { authorization: `Bearer ${this.options['admin-api-key']}` },
      json: { worker_addr: this.advertisedAddr, sessions, hitl } satisfies RestoreSessionsRequestDto,
      timeoutMs: 10_000,
      upstreamName: 'router',
    });
    if (res.status !== 200) {
      this.logger.warn({ router: this.routerAddr, status: res.status }, 'the router refused the session restore');
      return;
    }
    this.announcedTo = instance;
    this.logger.log(
      { router: this.routerAddr, restored: res.json?.restored, conflicts: res.json?.conflicts?.length ?? 0, hitl },
      'sessions restored on the router',
    );
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.beat(), delayMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    try {
      if (this.servingAddress.hostPort.endsWith(':0')) return; // not listening yet
      const res = await this.http.requestJson<Partial<RegisterWorkerResponseDto>>({
        method: 'POST',
        url: `${this.routerAddr}/register`,
        headers: { authorization: `Bearer ${this.options['admin-api-key']}` },
        json: {
          worker_addr: this.advertisedAddr,
          active_requests: this.bridge.activeRequests,
        } satisfies RegisterWorkerRequestDto,
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
      const instance = res.json?.router_instance;
      if (ok && typeof instance === 'string' && instance !== this.announcedTo) await this.restoreSessions(instance);
    } catch (err) {
      if (this.registered) this.logger.warn({ router: this.routerAddr, error: String(err) }, 'router unreachable');
      this.registered = false;
    } finally {
      this.schedule(this.registered ? this.options.ms['heartbeat-interval'] : 500);
    }
  }
}
