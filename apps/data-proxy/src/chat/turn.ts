import type { CompletionUsageDto } from '@app/contracts';
import type { EngineSampling } from '../inference/engine-backend.js';
import type { PromptIds } from '../inference/engine-backend.js';
import type { AgentApi } from '../metrics/data-proxy-metrics.js';
import type { Interaction } from '../sessions/interaction.js';
import type { Session } from '../sessions/session.js';
import type { ChatRequest } from './chat-request.js';
import type { ToolCall } from './output-parser.js';
import type { TokenLogprob } from './token-logprobs.js';

// What the turn pipeline hands between its steps and to every API's formatter (types only, so that
// the pipeline, the sinks and the formatters all import them without importing each other).

export type Usage = CompletionUsageDto;

/** The answer's identity, in the API's own id spelling. */
export interface CompletionMeta {
  id: string;
  created: number;
  model: string;
}

export interface PreparedChat {
  request: ChatRequest;
  session: Session | undefined;
  messages: unknown[];
  parent: Interaction | null;
  promptIds: PromptIds;
  budget: number;
  sampling: EngineSampling;
  meta: CompletionMeta;
  api: AgentApi;
  /** `performance.now()` when the turn began (metrics). */
  startedAt: number;
}

/** One finished turn, before any API formats it. */
export interface TurnResult {
  /** The visible text (a leading think block included), cut at a matched stop string. */
  content: string;
  toolCalls: readonly ToolCall[];
  finishReason: 'stop' | 'length' | 'tool_calls';
  /** The stop string that ended the turn, if one did. */
  matchedStop: string | null;
  usage: Usage;
  /** The generated token ids and their log-probs, exactly as recorded. */
  outputIds: readonly number[];
  outputLogprobs: readonly number[];
  /** The prompt's token ids, as recorded. */
  promptIds: PromptIds;
  /** Every output token's log-prob and alternatives, when the request asked for them in the answer. */
  tokenLogprobs: TokenLogprob[] | null;
}
