import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { DataProxyModel } from './data-proxy-model.js';
import { buildConcatPrompt, buildHfPrompt } from './prompt-builder.js';
import type { Interaction } from '../sessions/interaction.js';

const golden = (name: string) => readFileSync(new URL(`./golden/${name}`, import.meta.url), 'utf8');
const { tools, cases } = JSON.parse(golden('cases.json')) as {
  tools: unknown[];
  cases: Record<string, { messages: unknown[]; kwargs: Record<string, unknown>; withTools?: boolean }>;
};

describe('Qwen3 chat template', () => {
  let model: DataProxyModel;

  // Loading a tokenizer takes seconds on a busy machine (jest's 5 s hook deadline is not the subject here).
  beforeAll(async () => {
    model = await DataProxyModel.load(undefined);
  }, 60_000);

  it.each(Object.keys(cases))('renders %s exactly as the golden file', (name) => {
    const c = cases[name];
    expect(model.template.render({ messages: c.messages, tools: c.withTools ? tools : null, kwargs: c.kwargs })).toBe(
      golden(`${name}.txt`),
    );
    // Rendered by the compiled template, not the interpreter.
    expect(model.template.interpreterRenders).toBe(0);
  });

  it('tokenizes the rendered prompt without adding special tokens (Qwen ids)', async () => {
    const ids = await buildHfPrompt(model, { messages: [{ role: 'user', content: 'Hello' }], tools: null, kwargs: {} });
    expect(ids).toEqual([151644, 872, 198, 9707, 151645, 198, 151644, 77091, 198]);
    expect(model.stopTokenIds).toEqual([151645, 151643]);
  });

  describe('concat prompts', () => {
    function parentOf(promptIds: number[], outputIds: number[], messages: unknown[], answer: string): Interaction {
      return {
        id: 'chatcmpl-parent',
        kind: 'tokens',
        messages,
        chatTemplateType: 'concat',
        parentId: null,
        promptIds: Int32Array.from(promptIds),
        outputIds: Int32Array.from(outputIds),
        outputLogprobs: new Float32Array(outputIds.length),
        outputVersions: new Int32Array(outputIds.length),
        stopReason: 'stop',
        outputMessages: [{ content: answer, role: 'assistant' }],
        reward: null,
        createdAt: 0,
      };
    }

    it('continues the parent token for token and appends only the new turn', async () => {
      const first = [{ role: 'user', content: 'Hello' }];
      const parentPrompt = Array.from(await buildHfPrompt(model, { messages: first, tools: null, kwargs: {} }));
      const answerIds = await model.tokenizer.encode('Hi! How can I help?');
      const parent = parentOf(parentPrompt, [...answerIds, 151645], first, 'Hi! How can I help?');
      const second = [
        ...first,
        { content: 'Hi! How can I help?', role: 'assistant' },
        { role: 'user', content: 'Tell me a joke' },
      ];
      const prompt = Array.from(await buildConcatPrompt(model, { messages: second, tools: null, kwargs: {} }, parent));
      expect(prompt.slice(0, parentPrompt.length + answerIds.length + 1)).toEqual([
        ...parentPrompt,
        ...answerIds,
        151645,
      ]);
      expect(model.tokenizer.decode(prompt.slice(parentPrompt.length + answerIds.length + 1))).toBe(
        '\n<|im_start|>user\nTell me a joke<|im_end|>\n<|im_start|>assistant\n',
      );
    });

    it('keeps the exact generated ids even where re-tokenizing the text would differ', async () => {
      const first = [{ role: 'user', content: 'Hello' }];
      const parentPrompt = Array.from(await buildHfPrompt(model, { messages: first, tools: null, kwargs: {} }));
      // " wor" + "ld" is not how the tokenizer would split " world": concat keeps it anyway.
      const odd = [...(await model.tokenizer.encode(' wor')), ...(await model.tokenizer.encode('ld'))];
      const parent = parentOf(parentPrompt, [...odd, 151645], first, ' world');
      const second = [...first, { content: ' world', role: 'assistant' }, { role: 'user', content: 'ok' }];
      const prompt = Array.from(await buildConcatPrompt(model, { messages: second, tools: null, kwargs: {} }, parent));
      expect(prompt.slice(parentPrompt.length, parentPrompt.length + odd.length)).toEqual(odd);
    });

    it('starts a fresh sequence without a parent', async () => {
      const messages = [{ role: 'user', content: 'Hello' }];
      expect(await buildConcatPrompt(model, { messages, tools: null, kwargs: {} }, null)).toEqual(
        await buildHfPrompt(model, { messages, tools: null, kwargs: {} }),
      );
    });
  });
});
