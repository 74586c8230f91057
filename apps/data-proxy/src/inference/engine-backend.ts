/** Sampling settings the data proxy sends to the engine for one generation. */
export interface EngineSampling {
  temperature: number;
  topP: number;
  topK: number;
  stop: string[];
  stopTokenIds: number[];
  frequencyPenalty: number;
  ignoreEos: boolean;
  skipSpecialTokens: boolean;
}

export type SegmentStop = 'stop' | 'length' | 'abort';

/** One engine request: the prompt so far and the remaining budget. */
export interface SegmentRequest {
  rid: string;
  promptIds: readonly number[];
  maxNewTokens: number;
  sampling: EngineSampling;
  stream: boolean;
}

/** Tokens that arrived (a whole answer, or one stream event's worth). */
export interface SegmentTokens {
  tokens: number[];
  logprobs: number[];
  /** The weight version the engine reports for these tokens, when it reports one (SGLang). */
  engineVersion: number | null;
}

export interface SegmentFinish {
  stop: SegmentStop;
  /** The stop string that ended generation, when one did. */
  matchedStop: string | null;
}

export type SegmentResult = SegmentTokens & SegmentFinish;

/** A reply that does not follow the engine protocol. */
export class EngineProtocolError extends Error {}

/** Consumes one stream event; returns the new tokens and, on the last event, how it finished. */
export type StreamEventParser = (event: unknown) => { tokens?: SegmentTokens; finish?: SegmentFinish };

/**
 * One engine protocol (SGLang or vLLM) behind a small interface: how to ask for tokens, how to
 * read them back (whole or streamed), and where pause/continue/abort live.
 */
export interface EngineBackend {
  readonly name: 'sglang' | 'vllm';
  readonly generatePath: string;
  readonly pausePath: string;
  readonly resumePath: string;
  buildRequest(request: SegmentRequest): Record<string, unknown>;
  parseResponse(body: unknown): SegmentResult;
  createStreamParser(): StreamEventParser;
  /** Offload weights and KV cache (SGLang release_memory_occupation, vLLM sleep). */
  offloadRequest(): { path: string; body: string };
  /** Load them back; `tags` picks what (e.g. `["weights"]`), null for everything. */
  onloadRequest(tags: string[] | null): { path: string; body: string };
  /** An explicit abort for one request id, if the protocol has one. */
  abortRequest(rid: string): { path: string; body: Record<string, unknown> } | null;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Weight versions are integers for AReaL; engines report strings ("7"), or labels we ignore. */
export function parseEngineVersion(value: unknown): number | null {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value)) return Number(value);
  return null;
}
