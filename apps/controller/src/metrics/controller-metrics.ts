import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { MetricsService } from '@app/common';
import { ControlService } from '../control/control.service.js';
import { RolloutExecutor } from '../rollout/rollout-executor.service.js';

/** The staleness budget's terms as gauge labels (`/capacity` answers the same numbers). */
const CAPACITY_TERMS = [
  'capacity',
  'concurrency_room',
  'staleness_room',
  'max_concurrent_rollouts',
  'consumer_batch_size',
  'max_head_offpolicyness',
  'enqueued',
  'running',
  'accepted',
  'rejected',
] as const;

/**
 * The controller's RL metrics, read at scrape time from state it already keeps: episodes by
 * outcome, every term of the staleness budget, the weight version and pause state the trainer
 * set, the rollout queue.
 */
@Injectable()
export class ControllerMetrics {
  constructor(metrics: MetricsService, executor: RolloutExecutor, control: ControlService) {
    const seen = new Map<string, number>();
    new Counter({
      name: 'rollout_episodes_total',
      help: 'Finished episodes by outcome: accepted, or what rejected them (agent, predicate, timeout, service, empty)',
      labelNames: ['outcome'],
      registers: [metrics.registry],
      collect() {
        for (const [outcome, count] of executor.outcomes) {
          const delta = count - (seen.get(outcome) ?? 0);
          if (delta > 0) this.inc({ outcome }, delta);
          seen.set(outcome, count);
        }
      },
    });
    new Gauge({
      name: 'rollout_staleness_budget',
      help: 'Terms of the staleness budget: capacity = min(concurrency_room, staleness_room), as /capacity answers',
      labelNames: ['term'],
      registers: [metrics.registry],
      collect() {
        const terms = executor.staleness.terms();
        for (const term of CAPACITY_TERMS) this.set({ term }, terms[term]);
      },
    });
    metrics.gauge('rollout_weight_version', 'The weight version the trainer set last', () => control.version);
    metrics.gauge('rollout_paused', '1 while the trainer has generation paused', () => (control.paused ? 1 : 0));
    metrics.gauge('rollout_queued_episodes', 'Submitted episodes waiting for budget', () => executor.queued);
  }
}
