import { Module } from '@nestjs/common';
import { InferenceModule } from '../inference/inference.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { DataProxyMetrics } from './data-proxy-metrics.js';

/** The data proxy's turn metrics and the gauges read at scrape time. */
@Module({
  imports: [InferenceModule, SessionsModule],
  providers: [DataProxyMetrics],
  exports: [DataProxyMetrics],
})
export class DataProxyMetricsModule {}
