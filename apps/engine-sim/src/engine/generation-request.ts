import type { StreamDecoder } from '@app/tokenizer';
import type { AnswerPlan } from './answer-plan.js';
import type { ConstrainedDecoding } from './constraints/constrained-decoding.js';
import type { Random } from './random.js';
import type { SamplingSettings } from './sampler.js';

/**
 * Why a request ended, in SGLang's shape (vLLM reports `type` alone). An abort with a
 * `status_code` is a request error (SGLang's `set_finish_with_abort`); one without is an ordinary
 * abort (pause, `/abort_request`) that ends in a 200 with the tokens so far.
 */
export type FinishReason =
  | { type: 'stop'; matched: number | string }
  | { type: 'length'; length: number }
  | { type: 'abort'; message: string; status_code?: number | null; err_type?: string | null };

/** Ways a test can make one request misbehave as real engines do (`POST /engine_sim/faults`). */
export interface RequestFault {
  /** After `afterTokens` tokens, finish with an abort that carries this status (SGLang request error). */
  requestError?: { statusCode: number; message: string; afterTokens: number };
  /** The log-prob reported for output token `index`: SGLang/vLLM `null`, vLLM's -9999.0 clamp, a boolean, or one entry fewer than tokens. */
  logprob?: { kind: 'null' | 'clamp' | 'bool' | 'missing'; index: number };
  /** vLLM: the finish reason reported instead of the real one. */
  vllmFinish?: 'error' | 'repetition';
}

export interface GenerationParams extends SamplingSettings {
  maxNewTokens: number;
  stop: string[];
  stopTokenIds: number[];
  ignoreEos: boolean;
  skipSpecialTokens: boolean;
  frequencyPenalty: number;
  /** Subtracted from the logit of every token already in the output (0 = off). */
  presencePenalty: number;
  /** Divides positive and multiplies negative logits of tokens already seen (1 = off). */
  repetitionPenalty: number;
  /** Whether the repetition penalty also counts prompt tokens (vLLM) or only output tokens (SGLang). */
  repetitionPenaltyCountsPrompt: boolean;
  seed: number | null;
}

/** The penalties at their neutral values (a request that sets none). */
export const NO_PENALTIES = {
  frequencyPenalty: 0,
  presencePenalty: 0,
  repetitionPenalty: 1,
  repetitionPenaltyCountsPrompt: false,
} as const satisfies Partial<GenerationParams>;

/** Why the engine refuses a request it has queued (SGLang fails an invalid grammar this way: an abort with a status). */
export interface RequestRejection {
  statusCode: number;
  message: string;
}

/** What the protocol layer wants to hear about a request. */
export interface GenerationListener {
  /** A token was appended (index into `outputIds`). */
  onToken?(request: GenerationRequest, index: number): void;
  onFinish(request: GenerationRequest): void;
}

/** One generation in the engine: its prompt, plan, random stream and everything produced so far. */
export class GenerationRequest {
  readonly outputIds: number[] = [];
  readonly outputLogprobs: number[] = [];
  /** Top alternatives per step (id, logprob), kept only when a protocol asked for top log-probs. */
  readonly topLogprobs: { id: number; logprob: number }[][] = [];
  /** The weight version current when each output token was produced. */
  readonly outputVersions: string[] = [];
  /** Decoded output (special tokens per `skipSpecialTokens`), trimmed at a matched stop string. */
  text = '';
  finishReason: FinishReason | null = null;
  /** When the request may take its first decoding step (prefill done). */
  readyAt = 0;
  admittedAt: number | null = null;
  finishedAt: number | null = null;
  readonly createdAt = Date.now();
  /** Counts per output token id, for the frequency penalty. */
  readonly counts = new Map<number, number>();
  /** Prompt tokens found in the prefix cache when the request arrived. */
  cachedTokens = 0;
  /** Still in the waiting queue when it ended (SGLang's "Abort in waiting queue" echo). */
  endedWaiting = false;
  /** The weight version changed while this request was live: its final output carries `weight_versions`. */
  versionChanged = false;
  fault: RequestFault | null = null;
  /** Set when the request is refused after queueing (an invalid grammar): it ends at admission with that status. */
  rejection: RequestRejection | null = null;
  /** Constrained decoding (structured outputs), or null for free generation. */
  constrained: ConstrainedDecoding | null = null;
  private promptSet: ReadonlySet<number> | null = null;

  constructor(
    readonly rid: string,
    readonly promptIds: readonly number[],
    readonly params: GenerationParams,
    readonly plan: AnswerPlan,
    readonly random: Random,
    readonly contextHash: number,
    readonly decoder: StreamDecoder,
    readonly listener: GenerationListener,
    readonly topLogprobsWanted: number,
  ) {}

  get finished(): boolean {
    return this.finishReason !== null;
  }

  /** Whether `id` occurs in the prompt (built the first time a repetition penalty asks). */
  promptHas(id: number): boolean {
    this.promptSet ??= new Set(this.promptIds);
    return this.promptSet.has(id);
  }
}
