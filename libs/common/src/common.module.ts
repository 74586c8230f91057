import { DynamicModule, Module, Provider, Type } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import type { Dispatcher } from 'undici';
import { AdminKeyGuard } from './auth/admin-key.guard.js';
import { AUTH_MESSAGES, DEFAULT_AUTH_MESSAGES, type AuthMessages } from './auth/auth-messages.js';
import { APP_IDENTITY, APP_OPTIONS, type AppIdentity, type BaseAppOptions } from './config/app-config.js';
import { AllExceptionsFilter, ERROR_BODY_FORMATTER, type ErrorBodyFormatter } from './errors/all-exceptions.filter.js';
import { BodyValidationPipe } from './errors/validation.js';
import { RecentErrors } from './errors/recent-errors.js';
import {
  DefaultLivenessController,
  READINESS_CHECKS,
  ReadinessController,
  type ReadinessCheck,
} from './health/health.controller.js';
import { HttpClientModule } from './http-client/http-client.module.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { MetricsService } from './metrics/metrics.service.js';

export interface CommonModuleOptions {
  identity: AppIdentity;
  /** The app's parsed options (common options included). */
  options: BaseAppOptions;
  authMessages?: AuthMessages;
  readinessChecks?: ReadinessCheck[];
  /** Serve a plain `GET /health` (for apps that do not define their own). */
  defaultLiveness?: boolean;
  /** Reshapes error bodies into another server's dialect (see `ERROR_BODY_FORMATTER`). */
  errorBodyFormatter?: ErrorBodyFormatter;
  /** Replace the pooled dispatcher (tests pass undici's `MockAgent`). */
  dispatcher?: Dispatcher;
}

/**
 * Wires the infrastructure every app shares, as global providers: typed options, validation pipe
 * and exception filter (as `APP_*` providers so tests behave like production), the admin-key guard,
 * the pooled HTTP client, metrics and health endpoints.
 */
@Module({})
export class CommonModule {
  static forApp(config: CommonModuleOptions): DynamicModule {
    const { options } = config;
    const providers: Provider[] = [
      { provide: APP_OPTIONS, useValue: options },
      { provide: APP_IDENTITY, useValue: config.identity },
      { provide: AUTH_MESSAGES, useValue: config.authMessages ?? DEFAULT_AUTH_MESSAGES },
      { provide: READINESS_CHECKS, useValue: config.readinessChecks ?? [] },
      { provide: ERROR_BODY_FORMATTER, useValue: config.errorBodyFormatter ?? null },
      { provide: APP_PIPE, useClass: BodyValidationPipe },
      { provide: APP_FILTER, useClass: AllExceptionsFilter },
      AdminKeyGuard,
      MetricsService,
      RecentErrors,
    ];
    const controllers: Type[] = [ReadinessController, MetricsController];
    if (config.defaultLiveness) controllers.push(DefaultLivenessController);
    return {
      module: CommonModule,
      global: true,
      imports: [
        TerminusModule.forRoot({ logger: false }),
        HttpClientModule.forRoot(
          config.dispatcher
            ? { dispatcher: config.dispatcher }
            : {
                connectionsPerOrigin: options['http-connections'],
                keepAliveTimeoutMs: options['http-keep-alive-timeout-ms'],
                connectTimeoutMs: options['http-connect-timeout-ms'],
                headersTimeoutMs: options['http-headers-timeout-ms'],
                bodyTimeoutMs: options['http-body-timeout-ms'],
              },
        ),
      ],
      controllers,
      providers,
      exports: [
        APP_OPTIONS,
        APP_IDENTITY,
        AUTH_MESSAGES,
        AdminKeyGuard,
        MetricsService,
        RecentErrors,
        HttpClientModule,
        TerminusModule,
      ],
    };
  }
}
