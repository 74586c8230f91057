import { badRequest } from './request-fields.js';

/** What engine-sim says about itself wherever an engine describes its model. */
export const SIMULATOR_NOTE =
  'engine-sim is a CPU simulator that speaks the SGLang and vLLM protocols with real token ids, sampling and log-probabilities. It is not a language model.';

/** Why a prompt plus its new tokens does not fit the context window (the engines refuse it), or null. */
export function contextLengthError(promptTokens: number, maxNewTokens: number, contextLength: number): string | null {
  if (promptTokens >= contextLength) {
    return `The input (${promptTokens} tokens) is longer than the model's context length (${contextLength} tokens).`;
  }
  if (promptTokens + maxNewTokens > contextLength) {
    return `Requested token count exceeds the model's maximum context length of ${contextLength} tokens. You requested a total of ${promptTokens + maxNewTokens} tokens: ${promptTokens} tokens from the input messages and ${maxNewTokens} tokens for the completion. Please reduce the number of tokens in the input messages or the completion to fit within the limit.`;
  }
  return null;
}

/** Refuses a request whose prompt plus new tokens exceed the context window with a 400. */
export function checkContextLength(promptTokens: number, maxNewTokens: number, contextLength: number): void {
  const error = contextLengthError(promptTokens, maxNewTokens, contextLength);
  if (error) throw badRequest(error);
}
