import { Module } from '@nestjs/common';
import { InferenceModule } from '../inference/inference.module.js';
import { DataProxyMetricsModule } from '../metrics/metrics.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { DataProxyHealthController } from './data-proxy-health.controller.js';

/** `GET /health`: engine, sessions, turns, prefix cache, recent errors. */
@Module({
  imports: [InferenceModule, DataProxyMetricsModule, SessionsModule],
  controllers: [DataProxyHealthController],
})
export class DataProxyHealthModule {}
