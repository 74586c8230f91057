import { honored } from './field-handling.js';

/**
 * What the agent APIs' handling tables share: the value rules of fields that mean the same in
 * every API, the engine sampling parameters every API takes beside its SDK's own, and the note a
 * refused non-text input gives. (OpenAI's own ranges stay beside the chat table, which defines them.)
 */

export const BOOLEAN = { type: 'boolean' } as const;
export const OBJECT = { type: 'object' } as const;
export const ARRAY = { type: 'array' } as const;
/** A name or identifier field (model, user, metadata values). */
export const STRING = { type: 'string', maxLength: 4096 } as const;
export const SEED = { type: 'integer', min: 0 } as const;

export const TEXT_ONLY = 'this model takes text only';

/** SGLang's and vLLM's sampling parameters that no official SDK declares; every agent API takes them. */
export const ENGINE_SAMPLING_EXTENSIONS = {
  /** -1 or 0 mean "no limit" (vLLM's and SGLang's spellings of it). */
  top_k: honored('Sent to the engine (-1 or 0: no limit)', { type: 'integer', min: -1 }),
  min_p: honored('Sent to the engine', { type: 'number', min: 0, max: 1 }),
  repetition_penalty: honored('Sent to the engine (1: none)', { type: 'number', min: 0.01, max: 10 }),
};
