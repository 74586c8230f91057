import { Logger } from '@nestjs/common';
import { appendIdsJson, idsJson, notePromptIdsJson, takePromptIdsJsonOf } from '../inference/prompt-ids-json.js';
import type { Interaction } from '../sessions/interaction.js';
import type { DataProxyModel } from './data-proxy-model.js';
import type { RenderContinuation } from './prompt-continuations.js';

export interface PromptInput {
  messages: unknown[];
  tools: unknown[] | null;
  kwargs: Record<string, unknown>;
  /** The conversation this prompt continues (the session id), so its shared part is not encoded again. */
  conversation?: string;
  /** The prompt this one continues and the key to keep it under, for incremental templating (ChatTemplate.encode). */
  continuation?: RenderContinuation;
}

const logger = new Logger('PromptBuilder');

/** `hf`: the chat template over the whole conversation. */
export function buildHfPrompt(model: DataProxyModel, input: PromptInput): Promise<number[]> {
  return model.template.encode(input, input.conversation, input.continuation);
}

/**
 * `concat`: continue the parent turn token for token. The prompt is the parent's exact prompt and
 * output ids, its answer closed the way the template closes it in history (one EOS for most
 * families; the family's own end for Llama 3 tool calls and gpt-oss), followed by the template's
 * tokens for the new messages only, so what the model saw last turn is what it sees again. If the
 * template's rendering cannot be aligned with the parent, the turn starts a fresh sequence
 * (logged) instead of failing.
 */
export async function buildConcatPrompt(
  model: DataProxyModel,
  input: PromptInput,
  parent: Interaction | null,
): Promise<number[]> {
  const turns = model.turnBoundaries;
  if (!parent || !turns) return buildHfPrompt(model, input);
  let end = parent.outputIds.length;
  while (end > 0 && model.isStopToken(parent.outputIds[end - 1])) end--;
  const stopId = end < parent.outputIds.length ? parent.outputIds[end] : null;
  const prefixLength = parent.messages.length + parent.outputMessages.length;
  const allMessages = [...parent.messages, ...parent.outputMessages, ...input.messages.slice(prefixLength)];
  const allTokens = await model.template.encode(
    { ...input, messages: allMessages },
    input.conversation,
    input.continuation,
  );
  // The parent's tokens and its answer closed, copied into an array of their exact length (pushing
  // 15k ids one by one regrows the array a dozen times: eight times slower), then the new messages'
  // tokens.
  const parentLength = parent.promptIds.length;
  const closed = new Array<number>(parentLength + end + 1);
  for (let i = 0; i < parentLength; i++) closed[i] = parent.promptIds[i];
  for (let i = 0; i < end; i++) closed[parentLength + i] = parent.outputIds[i];
  closed[parentLength + end] = turns.closer(stopId);
  const cut = turns.find(allTokens, turns.count(closed));
  if (cut < 0 || cut === allTokens.length - 1) {
    logger.warn({ parent: parent.id }, 'cannot align the new turn with the parent tokens; starting a fresh sequence');
    return buildHfPrompt(model, input);
  }
  const prompt = closed.concat(allTokens.slice(cut + 1));
  // The engine request writes the parent's part from the parent's JSON bytes (serialized here once
  // per chain of turns), and only the new ids.
  const parentJson = takePromptIdsJsonOf(parent.id, parentLength) ?? idsJson(parent.promptIds);
  notePromptIdsJson(prompt, appendIdsJson(parentJson, prompt.slice(parentLength)));
  return prompt;
}
