import { AppException, ErrorCode } from '@app/common';
import type { EpisodeRequestDto } from '@app/contracts';
import { acceptSpecError } from './accept-predicate.js';

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

export function bad(message: string): AppException {
  return new AppException(400, ErrorCode.BAD_REQUEST, message);
}

/**
 * The episode settings of a validated request (its `EpisodeRequestDto` fields), with the rules
 * that span fields. `defaultAgent` is the configured agent (`--agent`), used when the request names
 * none; `"agent": null` asks for online mode explicitly.
 */
export function episodeRequestOf(body: EpisodeRequestDto, defaultAgent: string): EpisodeRequest {
  const agent = body.agent === undefined ? defaultAgent || null : body.agent;
  const groupSize = body.group_size ?? 1;
  if (agent === null && groupSize > 1) throw bad('online mode (no agent) requires group_size 1');
  const acceptError = acceptSpecError(body.accept);
  if (acceptError) throw bad(acceptError);
  const rewardNormalization = body.reward_normalization ?? false;
  if (rewardNormalization && agent === null) throw bad('reward_normalization needs agent episodes (groups)');
  return {
    agent,
    agentKwargs: body.agent_kwargs ?? {},
    groupSize,
    accept: body.accept ?? null,
    discount: body.discount ?? undefined,
    style: body.style ?? undefined,
    format: body.format ?? 'json',
    schema: body.schema ?? 'interactions',
    deterministicSampling: body.deterministic_sampling ?? false,
    serializeGroupSamples: body.serialize_group_samples ?? false,
    rewardNormalization,
    dropIncompleteGroup: body.drop_incomplete_group ?? true,
    episodeTimeoutS: body.episode_timeout_s || undefined,
  };
}
