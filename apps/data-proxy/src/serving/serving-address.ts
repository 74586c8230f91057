import type { AddressInfo } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { APP_OPTIONS } from '@app/common';
import type { DataProxyOptions } from '../config/data-proxy-options.js';

/**
 * Where this data proxy is reached (`host:port`): `--serving-addr`, else the address it listens
 * on. The bound port is known only once the server listens (it may be chosen at bind time); the
 * HTTP server is read here so that no service needs it.
 */
@Injectable()
export class ServingAddress {
  constructor(
    @Inject(APP_OPTIONS) private readonly options: DataProxyOptions,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** `host:port` trainers fetch shards from and the router routes to; the port is `:0` until the server listens on a chosen one. */
  get hostPort(): string {
    const configured = this.options['serving-addr'];
    if (configured) return configured;
    const server = this.adapterHost.httpAdapter.getHttpServer() as { address(): AddressInfo | string | null };
    const address = server.address() as AddressInfo | null;
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return `${host}:${address?.port ?? this.options.port}`;
  }
}
