import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { ReadinessResponseDto, StatusResponseDto } from '@app/contracts';
import {
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import { AppException } from '../errors/app.exception.js';
import { ErrorCode } from '../errors/error-codes.js';

/**
 * A readiness check an app contributes: resolves with the indicator result, or reports down.
 * `modules` resolves the app's providers (e.g. the client that reaches a dependency).
 */
export type ReadinessCheck = (indicators: HealthIndicatorService, modules: ModuleRef) => Promise<HealthIndicatorResult>;

/** DI token: the app's readiness checks (`ReadinessCheck[]`). */
export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

/**
 * `GET /health/ready`: 200 when every check of this service passes, else 503 with the failing
 * checks. Checks cover what this process needs to serve; liveness (`GET /health`) checks nothing.
 */
@ApiTags('health')
@Controller('health')
export class ReadinessController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly modules: ModuleRef,
    @Optional() @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[] = [],
  ) {}

  @Get('ready')
  @ApiOkResponse({ type: ReadinessResponseDto, description: 'Ready to serve' })
  @ApiServiceUnavailableResponse({ type: ReadinessResponseDto, description: 'A dependency this service needs is down' })
  async ready(): Promise<HealthCheckResult> {
    try {
      return await this.health.check(this.checks.map((check) => () => check(this.indicators, this.modules)));
    } catch (err) {
      const response = (err as { getResponse?: () => unknown }).getResponse?.();
      throw new AppException(503, ErrorCode.SERVICE_UNAVAILABLE, 'not ready', {
        body:
          typeof response === 'object' && response !== null
            ? (response as Record<string, unknown>)
            : { status: 'error' },
      });
    }
  }
}

/** `GET /health` for apps that have no service-specific liveness body yet. */
@ApiTags('health')
@Controller('health')
export class DefaultLivenessController {
  @Get()
  @ApiOkResponse({ type: StatusResponseDto, description: 'The process is up' })
  live(): { status: string } {
    return { status: 'ok' };
  }
}
