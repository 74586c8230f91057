import { Logger } from '@nestjs/common';
import type { Interaction } from '../sessions/interaction.js';
import type { DataProxyModel } from './data-proxy-model.js';
import { decodeToolCallArguments } from '../chat/chat-request.js';

export interface PromptInput {
  messages: unknown[];
  tools: unknown[] | null;
  kwargs: Record<string, unknown>;
}

const logger = new Logger('PromptBuilder');

/** `hf`: the chat template over the whole conversation. */
export function buildHfPrompt(model: DataProxyModel, input: PromptInput): Promise<number[]> {
  return model.template.encode(input);
}

/**
 * `concat`: continue the parent turn token for token. The prompt is the parent's exact prompt and
 * output ids (trailing EOS normalised to one), followed by the template's tokens for the new
 * messages only, so what the model saw last turn is what it sees again. If the template's
 * rendering cannot be aligned with the parent, the turn starts a fresh sequence (logged) instead
 * of failing.
 */
export async function buildConcatPrompt(
  model: DataProxyModel,
  input: PromptInput,
  parent: Interaction | null,
): Promise<number[]> {
  if (!parent) return buildHfPrompt(model, input);
  const eos = model.tokenizer.eosTokenId;
  if (eos === null) return buildHfPrompt(model, input);
  let end = parent.outputIds.length;
  while (end > 0 && model.isStopToken(parent.outputIds[end - 1])) end--;
  const parentTokens = [...parent.promptIds, ...parent.outputIds.subarray(0, end), eos];
  const prefixLength = parent.messages.length + parent.outputMessages.length;
  const allMessages = [...parent.messages, ...parent.outputMessages, ...input.messages.slice(prefixLength)];
  const allTokens = await model.template.encode({ ...input, messages: decodeToolCallArguments(allMessages) });
  const eosCount = parentTokens.reduce((n, id) => (id === eos ? n + 1 : n), 0);
  let seen = 0;
  let cut = -1;
  for (let i = 0; i < allTokens.length; i++) {
    if (allTokens[i] === eos && ++seen === eosCount) {
      cut = i;
      break;
    }
  }
  if (cut < 0 || cut === allTokens.length - 1) {
    logger.warn({ parent: parent.id }, 'cannot align the new turn with the parent tokens; starting a fresh sequence');
    return buildHfPrompt(model, input);
  }
  return [...parentTokens, ...allTokens.slice(cut + 1)];
}
