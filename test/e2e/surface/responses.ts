// One unit over 300 lines: the Responses API's samples, one or more for every entry of its handling
// tables (the shape and fuzz suites are generated from them), kept together so a new table entry
// has one obvious place to get its sample.
import { expect } from '@jest/globals';
import { RESPONSES_SURFACE } from '@app/contracts';
import * as effect from './effects.js';
import type { ApiUnderTest, Exchange, FieldSamples, KindSamples } from './harness.js';

type Item = { type: string; id?: string; content?: { type: string; text?: string; logprobs?: unknown[] }[] };

const outputText = (output: Item[]): string =>
  output
    .filter((item) => item.type === 'message')
    .flatMap((item) => item.content ?? [])
    .map((part) => part.text ?? '')
    .join('');

export const RESPONSES: ApiUnderTest = {
  name: 'responses',
  path: '/v1/responses',
  surface: RESPONSES_SURFACE,
  base: { model: 'default', input: 'hello there' },
  answerId: ({ json, events }) => json?.id ?? events?.[0]?.response?.id,
  content: ({ json, events }) =>
    json
      ? outputText(json.output as Item[])
      : (events ?? [])
          .filter((e) => e?.type === 'response.output_text.delta')
          .map((e) => e.delta as string)
          .join(''),
  expectRefusal: effect.expectOpenAiRefusal,
};

const TOOLS = [
  {
    type: 'function',
    name: 'calculator',
    description: 'Evaluate arithmetic',
    parameters: { type: 'object', properties: { expression: { type: 'string' } } },
  },
];
const ASKS_FOR_CALL = `Compute this. ${effect.CALCULATOR_CALL}`;
const functionCalls = (x: Exchange): Item[] => (x.json.output as Item[]).filter((i) => i.type === 'function_call');
const calls = (x: Exchange): void =>
  expect(functionCalls(x).map((c) => (c as unknown as { name: string }).name)).toEqual(['calculator']);
/** "required" with parallel calls allowed: one or more calls, all of the given tools. */
const someCalls = (x: Exchange): void => {
  const names = functionCalls(x).map((c) => (c as unknown as { name: string }).name);
  expect(names.length).toBeGreaterThanOrEqual(1);
  expect(new Set(names)).toEqual(new Set(['calculator']));
};
const textLogprobs = (x: Exchange): { token: string; logprob: number }[] =>
  ((x.json.output as Item[]).find((i) => i.type === 'message')?.content?.[0]?.logprobs ?? []) as {
    token: string;
    logprob: number;
  }[];

/** A response recorded in the session, to continue or refer to. */
const earlierResponse = async (send: (body: Record<string, unknown>) => Promise<Exchange>): Promise<Exchange> => {
  const earlier = await send({ model: 'default', input: ASKS_FOR_CALL, tools: TOOLS });
  expect(earlier.status).toBe(200);
  return earlier;
};

export const RESPONSES_FIELD_SAMPLES: FieldSamples<typeof RESPONSES_SURFACE> = {
  background: [{ value: false }, { value: true }],
  context_management: [{ value: [{ type: 'compaction' }] }],
  conversation: [{ value: 'conv_1' }],
  include: [
    {
      value: ['message.output_text.logprobs'],
      check: (x) => effect.expectTokenLogprobs(textLogprobs(x), x, 0),
    },
    {
      value: ['reasoning.encrypted_content', 'web_search_call.results'],
      check: (x, base) => expect(x.content).toBe(base.content),
    },
  ],
  input: [
    { value: [{ role: 'user', content: [{ type: 'input_text', text: 'items' }] }], check: effect.contentIs('items') },
  ],
  instructions: [{ value: 'Be brief.', check: effect.systemRendered }],
  max_output_tokens: [{ value: 2, check: effect.budget(2) }],
  metadata: [{ value: { purpose: 'test' } }],
  ...effect.COMMON_FIELD_SAMPLES,
  moderation: [{ value: { model: 'omni-moderation-latest' } }],
  parallel_tool_calls: [
    { value: true, with: { tools: TOOLS, input: ASKS_FOR_CALL }, check: calls },
    {
      value: false,
      with: { tools: TOOLS, tool_choice: 'required' },
      group: 'constraint',
      check: (x) => expect(JSON.stringify(x.input?.sampling.constraint)).toContain('calls ::= call\\n'),
    },
    { value: false, with: { tools: TOOLS }, refused: true },
  ],
  previous_response_id: [
    {
      value: undefined,
      prepare: async (send) => (await earlierResponse(send)).json.id as string,
      with: { tools: TOOLS },
      check: (x) => {
        expect(x.prompt).toContain('Compute this.');
        expect(x.json.previous_response_id).toMatch(/^resp_/);
      },
    },
    { value: 'resp_0123456789abcdef', refused: true, status: 404 },
  ],
  prompt: [{ value: { id: 'pmpt_1' } }],
  prompt_cache_key: [{ value: 'prefix-7' }],
  prompt_cache_options: [{ value: {} }],
  prompt_cache_retention: [{ value: '24h' }],
  reasoning: [
    { value: { effort: 'none' }, group: 'thinking', check: effect.thinkingOff },
    { value: { effort: 'high', summary: 'auto' }, group: 'thinking', check: effect.thinkingOn },
  ],
  safety_identifier: [{ value: 'user-hash' }],
  service_tier: [{ value: 'flex' }],
  stream: [
    {
      value: true,
      check: (x, base) => {
        expect(x.events?.at(-1)?.type).toBe('response.completed');
        expect(x.content).toBe(base.content);
      },
    },
  ],
  stream_options: [{ value: { include_obfuscation: false } }],
  text: [
    { value: { format: { type: 'text' } }, check: effect.engineGot('constraint', null) },
    {
      value: { format: { type: 'json_object' } },
      group: 'constraint',
      check: effect.all(effect.constrainedTo({ kind: 'json_object' }), effect.isJsonObject),
    },
    {
      value: { format: { type: 'json_schema', name: 'distance', schema: effect.SCHEMA, strict: true } },
      group: 'constraint',
      check: effect.all(
        effect.constrainedTo({ kind: 'json_schema', schema: effect.SCHEMA, strict: true }),
        effect.validatesAgainst(effect.SCHEMA),
      ),
    },
    { value: { verbosity: 'low' }, refused: true },
  ],
  tool_choice: [
    { value: 'none', with: { tools: TOOLS, input: ASKS_FOR_CALL }, check: (x) => expect(functionCalls(x)).toEqual([]) },
    { value: 'auto', with: { tools: TOOLS, input: ASKS_FOR_CALL }, check: calls },
    { value: 'required', with: { tools: TOOLS }, group: 'constraint', check: someCalls },
    { value: { type: 'function', name: 'calculator' }, with: { tools: TOOLS }, group: 'constraint', check: calls },
  ],
  tools: [{ value: TOOLS, with: { input: ASKS_FOR_CALL }, check: calls }],
  top_logprobs: [
    {
      value: 2,
      with: { include: ['message.output_text.logprobs'] },
      check: effect.all(effect.engineGot('topLogprobs', 2), (x) => effect.expectTokenLogprobs(textLogprobs(x), x, 2)),
    },
  ],
  truncation: [{ value: 'disabled' }, { value: 'auto' }],
  user: [{ value: 'user-1' }],
  chat_template_kwargs: [{ value: { enable_thinking: false }, group: 'thinking', check: effect.thinkingOff }],
};

const input = (items: unknown[]) => ({ input: items });
/** A user turn, an earlier reasoning item (`reasoning`: its fields), the assistant's answer and the next user turn. */
const afterReasoning = (reasoning: Record<string, unknown>): Record<string, unknown>[] => [
  { role: 'user', content: 'a' },
  { type: 'reasoning', ...reasoning },
  { role: 'assistant', content: 'b' },
  { role: 'user', content: 'c' },
];
/** A user turn, a calculator call with `args`, and its output. */
const afterFunctionCall = (args: string, output: unknown): Record<string, unknown>[] => [
  { role: 'user', content: 'a' },
  { type: 'function_call', call_id: 'c1', name: 'calculator', arguments: args },
  { type: 'function_call_output', call_id: 'c1', output },
];

export const RESPONSES_KIND_SAMPLES: KindSamples<typeof RESPONSES_SURFACE> = {
  'input item type': {
    samples: {
      message: { body: input([{ type: 'message', role: 'user', content: 'hi' }]), check: effect.contentIs('hi') },
      reasoning: {
        body: input([
          { role: 'user', content: 'a' },
          { type: 'reasoning', id: 'rs_1', summary: [], content: [{ type: 'reasoning_text', text: 'think' }] },
          { role: 'assistant', content: [{ type: 'output_text', text: 'ok', annotations: [] }] },
          { role: 'user', content: 'b' },
        ]),
        check: effect.promptHas('<|im_start|>assistant\nok<|im_end|>'),
      },
      function_call: {
        body: { tools: TOOLS, ...input(afterFunctionCall('{"expression": "1"}', '1')) },
        check: effect.promptHas('<tool_call>\n{"name": "calculator", "arguments": {"expression": "1"}}\n</tool_call>'),
      },
      function_call_output: {
        body: { tools: TOOLS, ...input(afterFunctionCall('{}', [{ type: 'input_text', text: '7' }])) },
        check: effect.contentIs('<tool_response>\n7\n</tool_response>'),
      },
      item_reference: {
        body: {},
        prepare: async (send) => {
          const earlier = await earlierResponse(send);
          const call = functionCalls(earlier)[0];
          return {
            tools: TOOLS,
            input: [
              { role: 'user', content: ASKS_FOR_CALL },
              { type: 'item_reference', id: (earlier.json.output as Item[])[0].id },
              { type: 'item_reference', id: call.id },
              { type: 'function_call_output', call_id: (call as unknown as { call_id: string }).call_id, output: '42' },
            ],
          };
        },
        check: effect.all(
          effect.contentIs('<tool_response>\n42\n</tool_response>'),
          effect.promptHas('Compute this.\n<tool_call>'),
        ),
      },
    },
    refusedAs: (kind) => ({ body: input([{ type: kind, id: 'x' }]), param: 'input[0].type' }),
  },
  'message role': {
    samples: {
      user: { body: input([{ role: 'user', content: 'hi' }]), check: effect.contentIs('hi') },
      system: { body: input(effect.instructedAs('system')), check: effect.systemRendered },
      developer: { body: input(effect.instructedAs('developer')), check: effect.systemRendered },
      assistant: { body: input(effect.aroundAssistant({ content: 'b' })), check: effect.assistantRendered('b') },
    },
  },
  'content type': {
    samples: {
      input_text: {
        body: input([
          {
            role: 'user',
            content: effect.textParts('input_text', 'a', 'b'),
          },
        ]),
        check: effect.contentIs('a\nb'),
      },
      output_text: {
        body: input(effect.aroundAssistant({ content: [{ type: 'output_text', text: 'b', annotations: [] }] })),
        check: effect.assistantRendered('b'),
      },
      refusal: {
        body: input(effect.aroundAssistant({ content: [{ type: 'refusal', refusal: 'no' }] })),
        check: effect.assistantRendered('no'),
      },
      reasoning_text: {
        body: input(afterReasoning({ summary: [], content: [{ type: 'reasoning_text', text: 'why' }] })),
        check: effect.contentIs('c'),
      },
      summary_text: {
        body: input(afterReasoning({ summary: [{ type: 'summary_text', text: 'why' }] })),
        check: effect.contentIs('c'),
      },
    },
    refusedAs: (kind) => ({ body: input([{ role: 'user', content: [{ type: kind }] }]), param: 'input[0].content[0]' }),
  },
  'function_call_output part type': {
    samples: {
      input_text: {
        body: { tools: TOOLS, ...input(afterFunctionCall('{}', [{ type: 'input_text', text: '7' }])) },
        check: effect.contentIs('<tool_response>\n7\n</tool_response>'),
      },
    },
    refusedAs: (kind) => ({
      body: { tools: TOOLS, ...input(afterFunctionCall('{}', [{ type: kind }]).slice(1)) },
      param: 'input[1].output[0]',
    }),
  },
  'tool type': {
    samples: { function: { body: { tools: TOOLS, input: ASKS_FOR_CALL }, check: calls } },
    refusedAs: (kind) => ({ body: { tools: [{ type: kind, name: 'x' }], input: 'hi' }, param: 'tools[0].type' }),
  },
  tool_choice: {
    samples: {
      none: {
        body: { tools: TOOLS, tool_choice: 'none', input: ASKS_FOR_CALL },
        check: (x) => expect(functionCalls(x)).toEqual([]),
      },
      auto: { body: { tools: TOOLS, tool_choice: 'auto', input: ASKS_FOR_CALL }, check: calls },
      required: { body: { tools: TOOLS, tool_choice: 'required', input: 'hi' }, check: someCalls },
      function: {
        body: { tools: TOOLS, tool_choice: { type: 'function', name: 'calculator' }, input: 'hi' },
        check: calls,
      },
    },
    refusedAs: (kind) => ({ body: { tools: TOOLS, tool_choice: { type: kind }, input: 'hi' }, param: 'tool_choice' }),
  },
  include: {
    samples: {
      'message.output_text.logprobs': {
        body: { include: ['message.output_text.logprobs'], input: 'hi' },
        check: (x) => effect.expectTokenLogprobs(textLogprobs(x), x, 0),
      },
      // Accepted, with nothing of theirs to include: the answer is the plain one.
      ...Object.fromEntries(
        [
          'reasoning.encrypted_content',
          'file_search_call.results',
          'web_search_call.results',
          'web_search_call.action.sources',
          'message.input_image.image_url',
          'computer_call_output.output.image_url',
          'code_interpreter_call.outputs',
        ].map((value) => [value, { body: { include: [value], input: 'hi' }, check: effect.contentIs('hi') }]),
      ),
    },
  },
  'text.format type': {
    samples: {
      text: { body: { text: { format: { type: 'text' } }, input: 'hi' }, check: effect.contentIs('hi') },
      json_object: { body: { text: { format: { type: 'json_object' } }, input: 'hi' }, check: effect.isJsonObject },
      json_schema: {
        body: { text: { format: { type: 'json_schema', name: 'd', schema: effect.SCHEMA } }, input: 'hi' },
        check: effect.validatesAgainst(effect.SCHEMA),
      },
    },
  },
  stream_options: {
    samples: {
      include_obfuscation: {
        body: { stream: true, stream_options: { include_obfuscation: true }, input: 'hi' },
        check: effect.contentIs('hi'),
      },
    },
  },
  'text key': {
    samples: {
      format: { body: { text: { format: { type: 'json_object' } }, input: 'hi' }, check: effect.isJsonObject },
    },
    refusedAs: (key) => ({ body: { text: { [key]: 'low' }, input: 'hi' }, param: `text.${key}` }),
  },
  'reasoning key': {
    samples: {
      effort: { body: { reasoning: { effort: 'none' }, input: 'hi' }, check: effect.thinkingOff },
      summary: { body: { reasoning: { summary: 'detailed' }, input: 'hi' }, check: effect.contentIs('hi') },
      generate_summary: {
        body: { reasoning: { generate_summary: 'concise' }, input: 'hi' },
        check: effect.contentIs('hi'),
      },
    },
    refusedAs: (key) => ({ body: { reasoning: { [key]: 'zzz' }, input: 'hi' }, param: `reasoning.${key}` }),
  },
};
