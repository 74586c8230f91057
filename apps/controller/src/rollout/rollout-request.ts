import { AppException, ErrorCode, fieldReaders } from '@app/common';
import { acceptSpecError } from './accept-predicate.js';

export const MAX_BATCH_ITEMS = 4096;
export const MAX_GROUP_SIZE = 64;
const MAX_TIMEOUT_S = 7 * 24 * 3600;

/** The episode settings shared by submit, batch and prepare_batch (validated, nothing loaded). */
export interface EpisodeRequest {
  /** Agent module path; null ⇒ online mode. */
  agent: string | null;
  agentKwargs: Record<string, unknown>;
  groupSize: number;
  accept: unknown;
  discount: number | undefined;
  style: 'individual' | 'concat' | undefined;
  format: 'json' | 'rpc';
  /** `interactions` (ours) or `traj` (AReaL 2.0's padded batch, one per episode). */
  schema: 'interactions' | 'traj';
  episodeTimeoutS: number | undefined;
  /** AReaL 2.0's deterministic seeds for this run's sessions. */
  deterministicSampling: boolean;
  /** Group members run one after another; a failure does not stop later members. */
  serializeGroupSamples: boolean;
  /** Rewards normalized within each group (original rewards kept as `original_rewards`). */
  rewardNormalization: boolean;
  /** A group with a failed member is rejected whole (true), or keeps its successful members (false). */
  dropIncompleteGroup: boolean;
}

/** Every key an episode request may carry; anything else is refused, never ignored. */
const EPISODE_KEYS = [
  'agent',
  'agent_kwargs',
  'group_size',
  'accept',
  'discount',
  'style',
  'format',
  'schema',
  'episode_timeout_s',
  'deterministic_sampling',
  'serialize_group_samples',
  'reward_normalization',
  'drop_incomplete_group',
];

export function bad(message: string): AppException {
  return new AppException(400, ErrorCode.BAD_REQUEST, message);
}

const fields = fieldReaders(bad);

/** An integer from `min` to `max`; absent: `fallback`, or a 400 when there is none. */
export function integerField(
  b: Record<string, unknown>,
  key: string,
  min: number,
  max: number,
  fallback?: number,
): number {
  const value = fields.integer(b, key, { min, max }) ?? fallback;
  if (value === undefined) throw bad(`${key} is required: an integer from ${min} to ${max}`);
  return value;
}

/** Seconds, from 0 to a week; absent: `fallback`. */
export function timeoutField(b: Record<string, unknown>, key: string, fallback: number): number {
  return fields.number(b, key, { min: 0, max: MAX_TIMEOUT_S }) ?? fallback;
}

/**
 * Reads the episode settings of a request; `defaultAgent` is the configured agent (`--agent`),
 * used when the request names none. `"agent": null` asks for online mode explicitly.
 */
export function parseEpisodeRequest(
  b: Record<string, unknown>,
  defaultAgent: string,
  endpointKeys: readonly string[],
): EpisodeRequest {
  const unknown = Object.keys(b).filter((key) => !EPISODE_KEYS.includes(key) && !endpointKeys.includes(key));
  if (unknown.length > 0)
    throw bad(
      `unknown or unsupported option(s): ${unknown.join(', ')}; this endpoint takes ${[...endpointKeys, ...EPISODE_KEYS].join(', ')}`,
    );
  let agent: string | null;
  if (b.agent === undefined) agent = defaultAgent || null;
  else if (b.agent === null) agent = null;
  else if (typeof b.agent === 'string' && b.agent.trim().length > 0) agent = b.agent;
  else throw bad('agent must be a module path (or null for online mode)');
  const kwargs = b.agent_kwargs ?? {};
  if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs))
    throw bad('agent_kwargs must be an object');
  const groupSize = integerField(b, 'group_size', 1, MAX_GROUP_SIZE, 1);
  if (agent === null && groupSize > 1) throw bad('online mode (no agent) requires group_size 1');
  const acceptError = acceptSpecError(b.accept);
  if (acceptError) throw bad(acceptError);
  if (
    b.discount !== undefined &&
    (typeof b.discount !== 'number' || !(b.discount >= 0) || !Number.isFinite(b.discount))
  )
    throw bad('discount must be a non-negative number');
  if (b.style !== undefined && b.style !== 'individual' && b.style !== 'concat')
    throw bad('style must be "individual" or "concat"');
  if (b.format !== undefined && b.format !== 'json' && b.format !== 'rpc') throw bad('format must be "json" or "rpc"');
  if (b.schema !== undefined && b.schema !== 'interactions' && b.schema !== 'traj')
    throw bad('schema must be "interactions" or "traj" (AReaL 2.0)');
  const flag = (key: string, fallback: boolean): boolean => {
    const value = b[key] ?? fallback;
    if (typeof value !== 'boolean') throw bad(`${key} must be a boolean`);
    return value;
  };
  const rewardNormalization = flag('reward_normalization', false);
  if (rewardNormalization && agent === null) throw bad('reward_normalization needs agent episodes (groups)');
  return {
    agent,
    agentKwargs: kwargs as Record<string, unknown>,
    groupSize,
    accept: b.accept ?? null,
    discount: b.discount,
    style: b.style,
    format: b.format ?? 'json',
    schema: b.schema ?? 'interactions',
    deterministicSampling: flag('deterministic_sampling', false),
    serializeGroupSamples: flag('serialize_group_samples', false),
    rewardNormalization,
    dropIncompleteGroup: flag('drop_incomplete_group', true),
    episodeTimeoutS:
      b.episode_timeout_s === undefined ? undefined : timeoutField(b, 'episode_timeout_s', 0) || undefined,
  };
}
