import type { HfTokenizer } from '@app/tokenizer';
import { EchoPlan, type AnswerPlan } from '../answer-plan.js';
import { agentAnswer, type FamilySpeaker } from './family-speakers.js';

/**
 * Agent mode's plan for a prompt: the family's answer (a tool call, or a final answer after a tool
 * result) as the tokenizer encodes it, then the token that ends it. A prompt that already holds
 * part of that answer (a resubmission after an abort) continues after that part. Null when the
 * prompt offers no tools or cannot be read.
 */
export async function planAgentAnswer(
  prompt: readonly number[],
  tokenizer: HfTokenizer,
  speaker: FamilySpeaker,
): Promise<AnswerPlan | null> {
  const answer = agentAnswer(speaker, tokenizer.decode(prompt));
  if (!answer) return null;
  const endId = tokenizer.tokenToId(answer.end);
  if (endId === null) return null;
  const target = await tokenizer.encode(answer.text);
  let offset = 0;
  for (let k = Math.min(target.length, prompt.length); k > 0; k--) {
    let matches = true;
    for (let j = 0; j < k && matches; j++) matches = prompt[prompt.length - k + j] === target[j];
    if (matches) {
      offset = k;
      break;
    }
  }
  return new EchoPlan(target, offset, endId);
}
