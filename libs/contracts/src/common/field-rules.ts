/**
 * The value rules the agent APIs' handling tables share (a field with the same meaning in two APIs
 * takes the same values in both), and the note every refused non-text input gives.
 */

/** `temperature` here: the reference accepts any value the engines take, greedy at 0. */
export const CHAT_TEMPERATURE = { type: 'number', min: 0, max: 100 } as const;
export const TOP_P = { type: 'number', min: 0, max: 1 } as const;
export const PENALTY = { type: 'number', min: -2, max: 2 } as const;
/** `top_k`: -1 or 0 mean "no limit" (vLLM's and SGLang's spellings of it). */
export const TOP_K = { type: 'integer', min: -1 } as const;
export const MIN_P = { type: 'number', min: 0, max: 1 } as const;
export const REPETITION_PENALTY = { type: 'number', min: 0.01, max: 10 } as const;
/** Alternatives per token: OpenAI's limit. */
export const TOP_LOGPROBS = { type: 'integer', min: 0, max: 20 } as const;
export const AT_LEAST_ONE = { type: 'integer', min: 1 } as const;
export const SEED = { type: 'integer', min: 0 } as const;
export const BOOLEAN = { type: 'boolean' } as const;
export const OBJECT = { type: 'object' } as const;
export const ARRAY = { type: 'array' } as const;
/** A name or identifier field (model, user, metadata values). */
export const STRING = { type: 'string', maxLength: 4096 } as const;

export const TEXT_ONLY = 'this model takes text only';
