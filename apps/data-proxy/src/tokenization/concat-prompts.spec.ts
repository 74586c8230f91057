import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { llama31Folder, packageFolder } from '../../../../test/support/model-folders.js';
import { Conversation, Random } from '../../../../test/support/conversations.js';
import type { PromptIds } from '../inference/engine-backend.js';
import { carryPrompt } from '../inference/prompt-ids-json.js';
import type { Interaction } from '../sessions/interaction.js';
import { knownParentPrefix } from '../sessions/prompt-provenance.js';
import { DataProxyModel } from './data-proxy-model.js';
import { GOLDEN_FAMILIES } from './golden-families.fixtures.js';
import { buildConcatPrompt, type PromptInput } from './prompt-builder.js';
import { TurnBoundaries } from './turn-boundaries.js';

/**
 * `concat` prompts over long agent conversations, turn after turn, against the rule as first
 * written: the parent's whole prompt, answer and closer counted for turn ends, and the template's
 * whole render searched for as many. The builder counts only what is new (what the parent's turn
 * left, and where its template ids were cut); the prompts must be the same, id for id, for a
 * family whose turn end is one id (Qwen3) and for Harmony, whose turn end looks two ids ahead.
 */

const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));

/** The concat prompt computed over whole arrays, the template rendered in full. */
async function wholeConcatPrompt(model: DataProxyModel, input: PromptInput, parent: Interaction): Promise<number[]> {
  const turns = model.turnBoundaries!;
  const output = Array.from(parent.outputIds);
  let end = output.length;
  while (end > 0 && model.isStopToken(output[end - 1])) end--;
  const closer = turns.closer(end < output.length ? output[end] : null);
  const closed = [...Array.from(parent.promptIds), ...output.slice(0, end), closer];
  const shared = parent.messages.length + parent.outputMessages.length;
  const all = await model.template.encode({
    ...input,
    messages: [...parent.messages, ...parent.outputMessages, ...input.messages.slice(shared)],
  });
  const cut = turns.find(all, turns.count(closed));
  if (cut < 0 || cut === all.length - 1) return Array.from(await model.template.encode(input));
  return [...closed, ...all.slice(cut + 1)];
}

/** The conversation's next answer as the model's ids: its text (or "ok"), then the stop its family ends it with. */
async function nextAnswer(
  model: DataProxyModel,
  conversation: Conversation,
): Promise<{ answer: ReturnType<Conversation['answer']>; outputIds: number[] }> {
  const answer = conversation.answer();
  const text = typeof answer.content === 'string' && answer.content.length > 0 ? answer.content : 'ok';
  const callId = model.tokenizer.tokenToId('<|call|>');
  const stop = Array.isArray(answer.tool_calls) && callId !== null ? callId : model.stopTokenIds[0];
  return { answer, outputIds: [...(await model.tokenizer.encode(text)), stop] };
}

/** The turn of `input` as a session records it, with `prompt` and the answer. */
function recordedTurn(
  input: PromptInput,
  prompt: PromptIds,
  { answer, outputIds }: Awaited<ReturnType<typeof nextAnswer>>,
  parentId: string | null,
): Interaction {
  return {
    id: input.continuation!.as,
    kind: 'tokens',
    messages: input.messages,
    chatTemplateType: 'concat',
    parentId,
    promptIds: Int32Array.from(prompt),
    outputIds: Int32Array.from(outputIds),
    outputLogprobs: new Float32Array(outputIds.length),
    outputVersions: new Int32Array(outputIds.length),
    stopReason: 'stop',
    outputMessages: [answer],
    reward: null,
    createdAt: 0,
  };
}

describe.each(['qwen3', 'gpt-oss'])('concat prompts over a long conversation: %s', (name) => {
  let model: DataProxyModel;
  const family = GOLDEN_FAMILIES[name];

  beforeAll(async () => {
    model = await DataProxyModel.load({
      tokenizerPath: family.llama31Names ? llama31Folder() : packageFolder(family.tokenizer),
      chatTemplate: family.template ? join(ROOT, family.template) : undefined,
      toolCallParser: 'none',
      reasoningParser: 'none',
    });
    // gpt-oss's tokenizer.json is 27 MB: seconds to load on a busy machine.
  }, 60_000);

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it("builds two children of one parent (a fork) from the parent's ids, each the whole-array rule's", async () => {
    const random = new Random(name.length * 7 + 1);
    const conversation = new Conversation(random, { tools: false, reasoning: false, kwargs: {} });
    const inputOf = (as: string, from: string | null): PromptInput => ({
      messages: conversation.messages.slice(),
      tools: null,
      kwargs: {},
      conversation: `${name}-fork`,
      continuation: { from, as: `${name}-fork-${as}` },
    });
    /** The turn of `input` as recorded (and carried, as the chat service does), with `prompt`, answered by the conversation. */
    const recorded = async (input: PromptInput, prompt: PromptIds, parentId: string | null): Promise<Interaction> => {
      const answered = await nextAnswer(model, conversation);
      conversation.followUp();
      carryPrompt(prompt, input.continuation!.as);
      return recordedTurn(input, prompt, answered, parentId);
    };
    const input0 = inputOf('0', null);
    const turn0 = await recorded(input0, await buildConcatPrompt(model, input0, null), null);
    // Turn 1 continues turn 0: its prompt (ids and JSON) is carried to the turn that continues it.
    const input1 = inputOf('1', turn0.id);
    const prompt1 = await buildConcatPrompt(model, input1, turn0);
    const turn1 = await recorded(input1, prompt1, turn0.id);
    const child = async (as: string, parent: Interaction): Promise<void> => {
      const input = inputOf(as, parent.id);
      expect(Array.from(await buildConcatPrompt(model, input, parent))).toEqual(
        await wholeConcatPrompt(model, input, parent),
      );
    };
    // The first child continues that array; the second (the array taken) copies the recorded ids.
    await child('a', turn1);
    await child('b', turn1);
    // A parent recorded with other ids than its turn carried is not trusted.
    carryPrompt(prompt1, turn1.id);
    const [word] = await model.tokenizer.encode('hello');
    await child('c', { ...turn1, promptIds: Int32Array.from([word, ...prompt1]) });
  });

  // Plain chat is prefix-stable in every family: each turn's template ids continue the kept ones,
  // so each turn scans only what is new. With reasoning, some extensions are rendered in full
  // (Qwen3 drops earlier reasoning once a new user message comes), and those turns scan it all.
  it.each([
    ['plain chat', { tools: false, reasoning: false }, true],
    ['tools and reasoning', { tools: true, reasoning: true }, false],
  ])(
    '%s: every turn the same ids as the whole-array rule',
    async (_case, options, onlyNew) => {
      const isBoundary = jest.spyOn(TurnBoundaries.prototype, 'isBoundary');
      const random = new Random(name.length * 131 + (options.tools ? 17 : 3));
      const conversation = new Conversation(random, { ...options, kwargs: {} });
      let parent = null as Interaction | null;
      let lateTurns = 0;
      for (let turn = 0; turn < 40; turn++) {
        const input: PromptInput = {
          messages: conversation.messages.slice(),
          tools: conversation.tools,
          kwargs: {},
          conversation: `${name}-${options.tools}`,
          continuation: { from: parent?.id ?? null, as: `${name}-${options.tools}-${turn}` },
        };
        const expected = parent
          ? await wholeConcatPrompt(model, input, parent)
          : await model.template.encode({ messages: input.messages, tools: input.tools, kwargs: input.kwargs });
        isBoundary.mockClear();
        const parentId: string | null = parent?.id ?? null;
        const prompt = await buildConcatPrompt(model, input, parent);
        // A prompt that continues its parent is an Int32Array (the parent's recorded ids copied in one memcpy).
        if (parent) expect(prompt).toBeInstanceOf(Int32Array);
        expect(Array.from(prompt)).toEqual(Array.from(expected));
        if (parent) {
          // The arena stores only what follows the parent's ids, without comparing them.
          expect(knownParentPrefix(prompt, parent)).toBe(parent.promptIds.length);
          if (onlyNew && turn >= 8) {
            // Turn ends are looked for in what is new (the answer, the closer, the new messages,
            // a few times each), not in all of the conversation.
            const added = prompt.length - parent.promptIds.length;
            expect(isBoundary.mock.calls.length).toBeLessThan(4 * added + 8);
            expect(added * 4).toBeLessThan(prompt.length);
          }
          lateTurns++;
        }
        parent = recordedTurn(input, prompt, await nextAnswer(model, conversation), parentId);
        // As the chat service records a concat turn: the next turn continues its ids and JSON.
        carryPrompt(prompt, parent.id);
        conversation.followUp();
      }
      expect(lateTurns).toBe(39);
    },
    120_000,
  );
});
