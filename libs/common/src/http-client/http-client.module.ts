import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { Agent, type Dispatcher } from 'undici';
import { HttpClient } from './http-client.js';
import { HTTP_DISPATCHER, type HttpClientOptions } from './http-client.constants.js';

/** Builds the one pooled dispatcher of a process. Exposed for tests and scripts outside Nest. */
export function createDispatcher(options: HttpClientOptions): Agent {
  return new Agent({
    // 0 means no bound: a proxy whose calls are long generations must never queue a control
    // call (pause, abort) behind them.
    connections: options.connectionsPerOrigin > 0 ? options.connectionsPerOrigin : null,
    keepAliveTimeout: options.keepAliveTimeoutMs,
    keepAliveMaxTimeout: Math.max(options.keepAliveTimeoutMs, 1000),
    connect: { timeout: options.connectTimeoutMs },
    headersTimeout: options.headersTimeoutMs,
    bodyTimeout: options.bodyTimeoutMs,
    pipelining: 1,
  });
}

/**
 * Registers the process-wide pooled undici `Agent` and the {@link HttpClient} on top of it, once,
 * globally (only `CommonModule` imports this). The agent is closed in `onApplicationShutdown`, after
 * the HTTP server stopped, so in-flight proxied requests keep their upstream during the grace period.
 */
@Module({})
export class HttpClientModule implements OnApplicationShutdown {
  constructor(@Inject(HTTP_DISPATCHER) private readonly dispatcher: Dispatcher) {}

  static forRoot(options: HttpClientOptions | { dispatcher: Dispatcher }): DynamicModule {
    const dispatcherProvider =
      'dispatcher' in options
        ? { provide: HTTP_DISPATCHER, useValue: options.dispatcher }
        : { provide: HTTP_DISPATCHER, useFactory: () => createDispatcher(options) };
    return {
      module: HttpClientModule,
      global: true,
      providers: [dispatcherProvider, HttpClient],
      exports: [HTTP_DISPATCHER, HttpClient],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.dispatcher.close();
  }
}
