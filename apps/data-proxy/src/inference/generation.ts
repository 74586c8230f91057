import type { EngineSampling, PromptIds, TopLogprob } from './engine-backend.js';

/**
 * Tokens as they arrive, with their log-probs and versions; `topLogprobs` holds each token's
 * alternatives when `sampling.topLogprobs` > 0, else null. A constrained generation reports its
 * tokens once, when they are final (see `InfBridgeService`).
 */
export type OnTokens = (
  tokens: readonly number[],
  logprobs: readonly number[],
  versions: readonly number[],
  topLogprobs: readonly (readonly TopLogprob[])[] | null,
) => void;

/** One generation as the turn pipeline asks InfBridge for it. */
export interface GenerateInput {
  promptIds: PromptIds;
  /** Completion budget across every resubmitted segment. */
  maxNewTokens: number;
  sampling: EngineSampling;
  /** When given, the engine is asked to stream and each arrival is reported here. */
  onTokens?: OnTokens;
  /** Aborts the generation (client gone): the engine request is cancelled too. */
  signal?: AbortSignal;
  requestId?: string;
}

export interface GenerateOutcome {
  outputTokens: number[];
  outputLogprobs: number[];
  /** With `sampling.topLogprobs` > 0: the alternatives at every output position; else null. */
  outputTopLogprobs: TopLogprob[][] | null;
  /**
   * The weight version of every output token: the engine's per-token spans when it reports them,
   * else the version it reports for the answer, else the version current when the segment was sent.
   */
  outputVersions: number[];
  stop: 'stop' | 'length';
  matchedStop: string | null;
  /** Engine requests this generation took (1 + resubmissions). */
  segments: number;
  /** Prompt tokens the engine served from its prefix cache (first segment), when it reports them. */
  cachedTokens: number | null;
}
