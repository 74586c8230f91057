import { AgentLoadError, loadPredicate } from './agent-loader.js';

/** What an accept predicate sees: one finished episode (all the runs of its group). */
export interface EpisodeForAcceptance {
  task_id: number;
  data: unknown;
  /** One reward per run of the group, in group order. */
  rewards: number[];
  interactions: Record<string, unknown>;
}

export type AcceptPredicate = (episode: EpisodeForAcceptance) => boolean | Promise<boolean>;

/**
 * The declarative filters, for trainers that cannot ship code to the controller:
 * `{"min_reward": x, "max_reward": y, "rewards_differ": true, "min_interactions": n}`.
 * The rewards compared are each run's reward; `rewards_differ` drops groups whose runs all
 * scored the same (they carry no advantage signal for GRPO-style training).
 */
export interface AcceptFilters {
  min_reward?: number;
  max_reward?: number;
  rewards_differ?: boolean;
  min_interactions?: number;
}

const FILTER_KEYS = ['min_reward', 'max_reward', 'rewards_differ', 'min_interactions'];

/** Checks an `accept` field without loading anything: the error message, or null. */
export function acceptSpecError(spec: unknown): string | null {
  if (spec === undefined || spec === null || typeof spec === 'string') return null;
  if (typeof spec !== 'object' || Array.isArray(spec))
    return 'accept must be a module path or an object of filters (min_reward, max_reward, rewards_differ, min_interactions)';
  for (const [key, value] of Object.entries(spec)) {
    if (!FILTER_KEYS.includes(key)) return `accept: unknown filter "${key}" (known: ${FILTER_KEYS.join(', ')})`;
    if (key === 'rewards_differ' ? typeof value !== 'boolean' : typeof value !== 'number' || !Number.isFinite(value))
      return `accept.${key} must be ${key === 'rewards_differ' ? 'a boolean' : 'a number'}`;
  }
  return null;
}

/** Builds the predicate of an `accept` field (already checked by `acceptSpecError`); null accepts all. */
export async function resolveAcceptPredicate(spec: unknown): Promise<AcceptPredicate | null> {
  if (spec === undefined || spec === null) return null;
  if (typeof spec === 'string') {
    const fn = await loadPredicate(spec);
    return async (episode) => Boolean(await fn(episode));
  }
  const error = acceptSpecError(spec);
  if (error) throw new AgentLoadError(error);
  const filters = spec as AcceptFilters;
  return (episode) => {
    const { rewards } = episode;
    if (filters.min_reward !== undefined && rewards.some((r) => r < filters.min_reward!)) return false;
    if (filters.max_reward !== undefined && rewards.some((r) => r > filters.max_reward!)) return false;
    if (filters.rewards_differ && rewards.every((r) => r === rewards[0])) return false;
    if (filters.min_interactions !== undefined && Object.keys(episode.interactions).length < filters.min_interactions)
      return false;
    return true;
  };
}
