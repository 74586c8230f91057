import { SizedLruMap } from '@app/common/lite';
import { Logger } from '@nestjs/common';
import { appendIdsJson, idsJson, notePromptIdsJson, takeCarriedPrompt } from '../inference/prompt-ids-json.js';
import type { PromptIds } from '../inference/engine-backend.js';
import type { Interaction } from '../sessions/interaction.js';
import { noteParentPrefix } from '../sessions/prompt-provenance.js';
import type { DataProxyModel } from './data-proxy-model.js';
import { idsFrom, keptPrefixLength, type RenderContinuation } from './prompt-continuations.js';

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

/**
 * What a `concat` turn leaves for the turn that continues it (by its interaction id), so that turn
 * scans only what is new for turn ends: its prompt's length, the turn ends at positions whose
 * `isBoundary` is settled within it (all but the last `lookahead`), and where in the template's ids
 * of its conversation the turn it continued ended (the `cutIndex`-th turn end, at `cut`). Tiny;
 * bounded by count, least recently used out first; a turn whose parent left nothing counts all.
 */
interface ConcatTurn {
  promptLength: number;
  settledEnds: number;
  cut: number;
  cutIndex: number;
}
const concatTurns = new SizedLruMap<string, ConcatTurn>(64 * 1024, () => 1);

/** The chat template's ids for the conversation (continuing a kept prompt where it can). */
function templateIds(model: DataProxyModel, input: PromptInput): Promise<PromptIds> {
  return model.template.encode(input, input.conversation, input.continuation);
}

/**
 * `hf`: the chat template over the whole conversation. `parent`: the recorded turn it continues
 * (`input.continuation.from`), whose prompt is what the template returned for that turn, so the ids
 * the template vouches it shares with that prompt are the parent's recorded ones.
 */
export async function buildHfPrompt(
  model: DataProxyModel,
  input: PromptInput,
  parent: Interaction | null = null,
): Promise<PromptIds> {
  const ids = await templateIds(model, input);
  if (parent && parent.id === input.continuation?.from) noteParentPrefix(ids, parent, keptPrefixLength(ids, parent.id));
  return ids;
}

/**
 * `concat`: continue the parent turn token for token. The prompt is the parent's exact prompt and
 * output ids, its answer closed the way the template closes it in history (one EOS for most
 * families; the family's own end for Llama 3 tool calls and gpt-oss), followed by the template's
 * tokens for the new messages only, so what the model saw last turn is what it sees again. If the
 * template's rendering cannot be aligned with the parent, the turn starts a fresh sequence
 * (logged) instead of failing.
 *
 * A late turn's work is what is new: the parent's turn ends are counted from what the parent's
 * turn left (`ConcatTurn`), the template's ids are searched from where the parent's turn was cut
 * when the template knows they begin with the same ids, and the parent's ids are copied once.
 */
export async function buildConcatPrompt(
  model: DataProxyModel,
  input: PromptInput,
  parent: Interaction | null,
): Promise<PromptIds> {
  const turns = model.turnBoundaries;
  if (!parent || !turns) return templateIds(model, input);
  let end = parent.outputIds.length;
  while (end > 0 && model.isStopToken(parent.outputIds[end - 1])) end--;
  const stopId = end < parent.outputIds.length ? parent.outputIds[end] : null;
  const prefixLength = parent.messages.length + parent.outputMessages.length;
  const allMessages = [...parent.messages, ...parent.outputMessages, ...input.messages.slice(prefixLength)];
  // The template's ids of the whole conversation, as chunks: only their end is read.
  const allParts = await model.template.encodeParts(
    { ...input, messages: allMessages },
    input.conversation,
    input.continuation,
  );
  const parentIds = parent.promptIds;
  const parentLength = parentIds.length;
  const closer = turns.closer(stopId);
  const closedLength = parentLength + end + 1;
  // The turn ends of the closed parent (its prompt, its answer, the closer): the ones its turn
  // settled, then those of the ids after them.
  const left = concatTurns.get(parent.id);
  const fromLeft = left !== undefined && left.promptLength === parentLength ? left : undefined;
  const settledFrom = fromLeft ? Math.max(0, parentLength - turns.lookahead) : 0;
  const rest = new Array<number>(closedLength - settledFrom);
  for (let i = settledFrom; i < parentLength; i++) rest[i - settledFrom] = parentIds[i];
  for (let i = 0; i < end; i++) rest[parentLength - settledFrom + i] = parent.outputIds[i];
  rest[rest.length - 1] = closer;
  const settledInRest = Math.max(0, rest.length - turns.lookahead);
  const closedSettled = (fromLeft?.settledEnds ?? 0) + turns.count(rest, 0, settledInRest);
  const closedEnds = closedSettled + turns.count(rest, settledInRest);
  // The template's ids begin with those of the parent's conversation up to `shared`: turn ends
  // before the parent's cut (and the ids its test reads) are where they were, so the search goes
  // on from there, over the ids after it only.
  const shared = left && input.continuation ? keptPrefixLength(allParts, parent.id) : 0;
  const resume = left && left.cut + turns.lookahead < shared && left.cutIndex < closedEnds;
  const tailStart = resume ? left.cut + 1 : 0;
  const tail = tailStart === 0 && allParts.chunks.length === 1 ? allParts.chunks[0] : idsFrom(allParts, tailStart);
  const found = turns.find(tail, closedEnds, 0, resume ? left.cutIndex : 0);
  const cut = found < 0 ? -1 : tailStart + found;
  if (cut < 0 || cut === allParts.length - 1) {
    logger.warn({ parent: parent.id }, 'cannot align the new turn with the parent tokens; starting a fresh sequence');
    return templateIds(model, input);
  }
  // The parent's ids copied once (a memcpy out of the recorded Int32Array), then the new ones: the
  // parent's closed answer and the template's ids for the new messages.
  const closedAnswer = end + 1;
  const prompt = new Int32Array(parentLength + closedAnswer + tail.length - (found + 1));
  prompt.set(parentIds);
  for (let i = 0; i < closedAnswer; i++) prompt[parentLength + i] = rest[parentLength - settledFrom + i];
  for (let i = found + 1, at = parentLength + closedAnswer; i < tail.length; i++, at++) prompt[at] = tail[i];
  const added = prompt.subarray(parentLength);
  noteParentPrefix(prompt, parent, parentLength);
  if (input.continuation) {
    const settledEnds =
      closedSettled +
      turns.count(prompt, Math.max(0, closedLength - turns.lookahead), Math.max(0, prompt.length - turns.lookahead));
    concatTurns.set(input.continuation.as, { promptLength: prompt.length, settledEnds, cut, cutIndex: closedEnds });
  }
  // The engine request writes the parent's part from the parent's JSON bytes (what the parent's turn
  // carried, chat.service: carryPrompt; serialized here once per chain of turns), and only the new ids.
  const parentJson = takeCarriedPrompt(parent.id, parentLength)?.json;
  notePromptIdsJson(prompt, appendIdsJson(parentJson ?? idsJson(parentIds), added));
  return prompt;
}
