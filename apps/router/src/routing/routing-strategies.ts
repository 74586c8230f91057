import type { ROUTING_STRATEGIES } from '@app/common';
import type { WorkerRecord } from '../workers/worker-registry.js';

export type RoutingStrategyName = (typeof ROUTING_STRATEGIES)[number];

/** Picks one worker from a candidate list (already filtered by health and model). */
export interface RoutingStrategy {
  readonly name: RoutingStrategyName;
  /** `setKey` names the candidate set (the model, or the admin pool) so each set rotates on its own. */
  pick(candidates: readonly WorkerRecord[], setKey: string): WorkerRecord | null;
}

/**
 * Round robin per candidate set. The reference shares one counter across every model and routing
 * path, so a pick for model B shifts model A's sequence; here each set has its own cursor, and the
 * cursor remembers the last worker id so a change in the list (health flips) does not skip or
 * repeat workers.
 */
export class RoundRobinStrategy implements RoutingStrategy {
  readonly name = 'round_robin' as const;
  private readonly lastPicked = new Map<string, string>();

  pick(candidates: readonly WorkerRecord[], setKey = ''): WorkerRecord | null {
    if (candidates.length === 0) return null;
    const last = this.lastPicked.get(setKey);
    let index = 0;
    if (last !== undefined) {
      const lastIndex = candidates.findIndex((worker) => worker.workerId === last);
      index = lastIndex >= 0 ? (lastIndex + 1) % candidates.length : 0;
    }
    const chosen = candidates[index];
    this.lastPicked.set(setKey, chosen.workerId);
    return chosen;
  }
}

/**
 * Fewest in-flight requests: what the worker last reported on `/health` plus what the router
 * assigned to it since. Ties are broken at random so equal workers share the load.
 */
export class LeastBusyStrategy implements RoutingStrategy {
  readonly name = 'least_busy' as const;

  constructor(private readonly random: () => number = Math.random) {}

  pick(candidates: readonly WorkerRecord[]): WorkerRecord | null {
    let best: WorkerRecord | null = null;
    let bestLoad = Infinity;
    let ties = 0;
    for (const worker of candidates) {
      const load = worker.reportedActiveRequests + worker.assignedSinceReport;
      if (load < bestLoad) {
        best = worker;
        bestLoad = load;
        ties = 1;
      } else if (load === bestLoad) {
        // Reservoir sampling over the tied workers: each is chosen with probability 1/ties.
        ties++;
        if (this.random() * ties < 1) best = worker;
      }
    }
    return best;
  }
}

export function createRoutingStrategy(name: string): RoutingStrategy {
  switch (name) {
    case 'round_robin':
      return new RoundRobinStrategy();
    case 'least_busy':
      return new LeastBusyStrategy();
    default:
      throw new Error(`Unknown routing strategy: ${name}`);
  }
}
