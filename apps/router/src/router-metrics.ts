import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { MetricsService } from '@app/common';
import { RouterState } from './router-state.js';

/** Router state as Prometheus gauges, read at scrape time (no bookkeeping on the hot path). */
@Injectable()
export class RouterMetrics {
  constructor(metrics: MetricsService, state: RouterState) {
    new Gauge({
      name: 'router_workers',
      help: 'Registered workers by health',
      labelNames: ['health'],
      registers: [metrics.registry],
      collect() {
        const healthy = state.workers.healthyWorkers().length;
        this.set({ health: 'healthy' }, healthy);
        this.set({ health: 'unhealthy' }, state.workers.size - healthy);
      },
    });
    metrics.gauge('router_sessions', 'Registered sessions', () => state.sessions.count());
    new Gauge({
      name: 'router_worker_sessions',
      help: 'Sessions pinned to each data proxy (bounded by the registered workers)',
      labelNames: ['worker'],
      registers: [metrics.registry],
      collect() {
        this.reset();
        for (const [worker, count] of state.sessions.countByWorker()) this.set({ worker }, count);
      },
    });
    metrics.gauge('router_capacity_permits', 'Capacity permits available', () => state.capacity.capacity);
  }
}
