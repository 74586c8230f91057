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
    new Gauge({
      name: 'router_sessions',
      help: 'Registered sessions',
      registers: [metrics.registry],
      collect() {
        this.set(state.sessions.count());
      },
    });
    new Gauge({
      name: 'router_capacity_permits',
      help: 'Capacity permits available',
      registers: [metrics.registry],
      collect() {
        this.set(state.capacity.capacity);
      },
    });
  }
}
