// One unit over 300 lines: the chat API's samples, one or more for every entry of its handling
// tables (the shape and fuzz suites are generated from them), kept together so a new table entry
// has one obvious place to get its sample.
import { expect } from '@jest/globals';
import { CHAT_SURFACE } from '@app/contracts';
import * as effect from './effects.js';
import type { ApiUnderTest, Exchange, FieldSamples, KindSamples } from './harness.js';

type Chunk = { choices: { delta: { content?: string }; logprobs?: { content: unknown[] } | null }[] };

export const CHAT: ApiUnderTest = {
  name: 'chat',
  path: '/v1/chat/completions',
  surface: CHAT_SURFACE,
  base: { model: 'default', messages: [{ role: 'user', content: 'hello there' }] },
  answerId: ({ json, events }) => json?.id ?? events?.[0]?.id,
  content: ({ json, events }) =>
    json
      ? (json.choices[0].message.content ?? '')
      : (events ?? [])
          .filter((e): e is Chunk => typeof e === 'object' && Array.isArray(e.choices) && e.choices.length > 0)
          .map((e) => e.choices[0].delta.content ?? '')
          .join(''),
  expectRefusal: (x, field) => {
    effect.expectOpenAiRefusal(x, field);
    // The reference's detail, beside OpenAI's error.
    expect(x.json.detail).toBe(x.json.error.message);
  },
};

const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'calculator',
      description: 'Evaluate arithmetic',
      parameters: { type: 'object', properties: { expression: { type: 'string' } } },
    },
  },
];
const ASKS_FOR_CALL = [{ role: 'user', content: `Compute this. ${effect.CALCULATOR_CALL}` }];
const toolCalls = (x: Exchange): { function: { name: string } }[] => x.json.choices[0].message.tool_calls ?? [];

const calls = (x: Exchange): void => {
  expect(toolCalls(x).map((c) => c.function.name)).toEqual(['calculator']);
  expect(x.json.choices[0].finish_reason).toBe('tool_calls');
};
/** "required" with parallel calls allowed: one or more calls, all of the given tools. */
const someCalls = (x: Exchange): void => {
  expect(toolCalls(x).length).toBeGreaterThanOrEqual(1);
  expect(new Set(toolCalls(x).map((c) => c.function.name))).toEqual(new Set(['calculator']));
  expect(x.json.choices[0].finish_reason).toBe('tool_calls');
};

/** SGLang's structural tag: free text until the trigger, then the structure (at least one). */
const STRUCTURAL_TAG = {
  type: 'structural_tag',
  structures: [{ begin: '<answer>', schema: effect.SCHEMA, end: '</answer>' }],
  triggers: ['<answer>'],
  at_least_one: true,
};

/** Every field of the chat surface, each with the values that show its handling. */
export const CHAT_FIELD_SAMPLES: FieldSamples<typeof CHAT_SURFACE> = {
  messages: [
    { value: [{ role: 'user', content: [{ type: 'text', text: 'parts' }] }], check: effect.contentIs('parts') },
    {
      value: [
        { role: 'user', content: 'q' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'calculator', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: [{ type: 'text', text: '42' }] },
      ],
      with: { tools: TOOLS },
      check: effect.contentIs('<tool_response>\n42\n</tool_response>'),
    },
  ],
  ...effect.COMMON_FIELD_SAMPLES,
  audio: [{ value: { voice: 'alloy', format: 'mp3' } }],
  frequency_penalty: [{ value: 0.5, check: effect.engineGot('frequencyPenalty', 0.5) }],
  function_call: [{ value: 'auto' }],
  functions: [{ value: [{ name: 'calculator' }] }],
  logit_bias: [{ value: { '1': 5 } }],
  logprobs: [
    {
      value: true,
      check: (x) => effect.expectTokenLogprobs(x.json.choices[0].logprobs.content, x, 0),
    },
    {
      value: true,
      with: { stream: true },
      check: (x) => {
        const streamed = (x.events ?? [])
          .filter((e): e is Chunk => typeof e === 'object' && Array.isArray(e.choices) && e.choices.length > 0)
          .flatMap((e) => (e.choices[0].logprobs?.content ?? []) as { token: string; logprob: number }[]);
        effect.expectTokenLogprobs(streamed, x, 0);
      },
    },
  ],
  max_completion_tokens: [
    {
      value: 3,
      group: 'budget',
      check: effect.all(effect.budget(3), (x) => expect(x.json.usage.completion_tokens).toBe(3)),
    },
  ],
  max_tokens: [{ value: 2, group: 'budget', check: effect.budget(2) }],
  metadata: [{ value: { purpose: 'test' } }],
  modalities: [{ value: ['text'] }, { value: ['text', 'audio'] }],
  moderation: [{ value: { model: 'omni-moderation-latest' } }],
  n: [{ value: 1 }, { value: 2 }],
  parallel_tool_calls: [
    { value: true, with: { tools: TOOLS, messages: ASKS_FOR_CALL }, check: calls },
    {
      value: false,
      with: { tools: TOOLS, tool_choice: 'required' },
      group: 'constraint',
      check: (x) => expect(JSON.stringify(x.input?.sampling.constraint)).toContain('calls ::= call\\n'),
    },
    { value: false, with: { tools: TOOLS }, refused: true },
  ],
  prediction: [{ value: { type: 'content', content: 'hello there' } }],
  presence_penalty: [{ value: 0.5, check: effect.engineGot('presencePenalty', 0.5) }],
  prompt_cache_key: [{ value: 'prefix-7' }],
  prompt_cache_options: [{ value: {} }],
  prompt_cache_retention: [{ value: '24h' }],
  reasoning_effort: [{ value: 'none', group: 'thinking', check: effect.thinkingOff }],
  response_format: [
    { value: { type: 'text' }, check: effect.engineGot('constraint', null) },
    {
      value: { type: 'json_object' },
      group: 'constraint',
      check: effect.all(effect.constrainedTo({ kind: 'json_object' }), effect.isJsonObject),
    },
    {
      value: { type: 'json_schema', json_schema: { name: 'distance', schema: effect.SCHEMA, strict: true } },
      group: 'constraint',
      check: effect.all(
        effect.constrainedTo({ kind: 'json_schema', schema: effect.SCHEMA, strict: true }),
        effect.validatesAgainst(effect.SCHEMA),
      ),
    },
  ],
  safety_identifier: [{ value: 'user-hash' }],
  service_tier: [{ value: 'flex' }],
  stop: [
    {
      value: 'STOP',
      with: { messages: [{ role: 'user', content: 'one two STOP three' }] },
      check: effect.contentIs('one two '),
    },
  ],
  ...effect.OPENAI_STREAM_SAMPLES,
  tool_choice: [
    {
      value: 'none',
      with: { tools: TOOLS, messages: ASKS_FOR_CALL },
      check: (x) => {
        expect(toolCalls(x)).toEqual([]);
        expect(x.content).toContain('<tool_call>');
      },
    },
    { value: 'auto', with: { tools: TOOLS, messages: ASKS_FOR_CALL }, check: calls },
    {
      value: 'required',
      with: { tools: TOOLS },
      group: 'constraint',
      check: effect.all((x) => expect(x.input?.sampling.constraint?.kind).toBe('ebnf'), someCalls),
    },
    {
      value: { type: 'function', function: { name: 'calculator' } },
      with: { tools: TOOLS },
      group: 'constraint',
      check: effect.all((x) => expect(x.input?.sampling.constraint?.kind).toBe('ebnf'), calls),
    },
  ],
  tools: [
    {
      value: TOOLS,
      with: { messages: ASKS_FOR_CALL },
      check: effect.all(calls, effect.promptHas('"name": "calculator"')),
    },
  ],
  top_logprobs: [
    {
      value: 3,
      with: { logprobs: true },
      check: effect.all(effect.engineGot('topLogprobs', 3), (x) =>
        effect.expectTokenLogprobs(x.json.choices[0].logprobs.content, x, 3),
      ),
    },
  ],
  user: [{ value: 'user-1' }],
  verbosity: [{ value: 'low' }],
  web_search_options: [{ value: {} }],
  chat_template_kwargs: [{ value: { enable_thinking: false }, group: 'thinking', check: effect.thinkingOff }],
  extra_body: [
    { value: { chat_template_kwargs: { enable_thinking: false } }, group: 'thinking', check: effect.thinkingOff },
  ],
  max_total_tokens: [
    {
      value: 40,
      group: 'budget',
      shortPromptOnly: true,
      check: (x) => expect(x.input?.maxNewTokens).toBe(40 - (x.input?.promptIds.length ?? 0)),
    },
  ],
  ignore_eos: [{ value: true, with: { max_tokens: 4 }, group: 'budget', check: effect.engineGot('ignoreEos', true) }],
  skip_special_tokens: [
    {
      value: true,
      with: { messages: [{ role: 'user', content: 'a<|vision_start|>b' }] },
      check: effect.contentIs('ab'),
    },
  ],
  return_token_ids: [
    {
      value: true,
      check: (x) => {
        expect(x.json.prompt_token_ids).toEqual(x.recorded?.prompt_ids);
        expect(x.json.choices[0].token_ids).toEqual(x.recorded?.output_ids);
      },
    },
    {
      value: true,
      with: { stream: true },
      check: (x) => {
        const chunks = (x.events ?? []).filter((e) => typeof e === 'object' && Array.isArray(e.choices));
        expect(chunks[0].prompt_token_ids).toEqual(x.recorded?.prompt_ids);
        expect(chunks.flatMap((e) => e.choices[0]?.token_ids ?? [])).toEqual(x.recorded?.output_ids);
      },
    },
  ],
  structured_outputs: [
    {
      value: { regex: '[0-9]{1,3}' },
      group: 'constraint',
      check: effect.all(effect.constrainedTo({ kind: 'regex', pattern: '[0-9]{1,3}' }), effect.matches(/^[0-9]{1,3}$/)),
    },
  ],
  guided_json: [
    {
      value: effect.SCHEMA,
      group: 'constraint',
      check: effect.all(
        effect.constrainedTo({ kind: 'json_schema', schema: effect.SCHEMA, strict: true }),
        effect.validatesAgainst(effect.SCHEMA),
      ),
    },
  ],
  guided_regex: [
    {
      value: '(yes|no)',
      group: 'constraint',
      check: effect.all(effect.constrainedTo({ kind: 'regex', pattern: '(yes|no)' }), effect.matches(/^(yes|no)$/)),
    },
  ],
  guided_grammar: [
    {
      value: 'root ::= "yes" | "no"',
      group: 'constraint',
      check: effect.all(
        effect.constrainedTo({ kind: 'ebnf', grammar: 'root ::= "yes" | "no"' }),
        effect.matches(/^(yes|no)$/),
      ),
    },
  ],
  guided_choice: [
    {
      value: ['left', 'right'],
      group: 'constraint',
      check: effect.all(
        effect.constrainedTo({ kind: 'regex', pattern: '(left|right)' }),
        effect.matches(/^(left|right)$/),
      ),
    },
  ],
  regex: [
    {
      value: '[a-z]{2}',
      group: 'constraint',
      check: effect.all(effect.constrainedTo({ kind: 'regex', pattern: '[a-z]{2}' }), effect.matches(/^[a-z]{2}$/)),
    },
  ],
  ebnf: [
    {
      value: 'root ::= "ok"',
      group: 'constraint',
      check: effect.all(effect.constrainedTo({ kind: 'ebnf', grammar: 'root ::= "ok"' }), effect.contentIs('ok')),
    },
  ],
  structural_tag: [
    {
      value: STRUCTURAL_TAG,
      group: 'constraint',
      check: effect.all(effect.constrainedTo({ kind: 'structural_tag', tag: STRUCTURAL_TAG }), (x) => {
        // at_least_one: the answer holds the structure, and what it wraps validates.
        const inner = /<answer>([\s\S]*?)<\/answer>/.exec(x.content)?.[1];
        expect(inner).toBeDefined();
        effect.validatesAgainst(effect.SCHEMA)({ ...x, content: inner! });
      }),
    },
  ],
};

const user = (content: unknown) => ({ messages: [{ role: 'user', content }] });

/** Every value of every chat kind table, each in a whole request. */
export const CHAT_KIND_SAMPLES: KindSamples<typeof CHAT_SURFACE> = {
  'message role': {
    samples: {
      system: { body: { messages: effect.instructedAs('system') }, check: effect.systemRendered },
      developer: { body: { messages: effect.instructedAs('developer') }, check: effect.systemRendered },
      user: { body: user('hi'), check: effect.contentIs('hi') },
      assistant: {
        body: { messages: effect.aroundAssistant({ content: null, refusal: null }, 'b') },
        check: effect.assistantRendered(''),
      },
      tool: {
        body: {
          tools: TOOLS,
          messages: [
            { role: 'user', content: 'a' },
            {
              role: 'assistant',
              tool_calls: [
                { id: 'c', type: 'function', function: { name: 'calculator', arguments: '{"expression": "1"}' } },
              ],
            },
            { role: 'tool', tool_call_id: 'c', content: '1' },
          ],
        },
        check: effect.contentIs('<tool_response>\n1\n</tool_response>'),
      },
      function: { body: { messages: [{ role: 'function', name: 'f', content: 'x' }] }, param: 'messages[0].role' },
    },
  },
  'content part type': {
    samples: {
      text: {
        body: user(effect.textParts('text', 'a', 'b')),
        check: effect.contentIs('a\nb'),
      },
      refusal: {
        body: { messages: effect.aroundAssistant({ content: [{ type: 'refusal', refusal: 'no' }] }, 'b') },
        check: effect.assistantRendered('no'),
      },
      image_url: {
        body: user([{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA' } }]),
        param: 'messages[0].content[0]',
      },
      input_audio: {
        body: user([{ type: 'input_audio', input_audio: { data: 'AA', format: 'wav' } }]),
        param: 'messages[0].content[0]',
      },
      file: { body: user([{ type: 'file', file: { file_id: 'f' } }]), param: 'messages[0].content[0]' },
    },
  },
  'tool type': {
    samples: {
      function: { body: { tools: TOOLS, messages: ASKS_FOR_CALL }, check: calls },
      custom: { body: { tools: [{ type: 'custom', custom: { name: 'x' } }], ...user('hi') }, param: 'tools[0].type' },
    },
  },
  tool_choice: {
    samples: {
      none: {
        body: { tools: TOOLS, tool_choice: 'none', messages: ASKS_FOR_CALL },
        check: (x) => expect(toolCalls(x)).toEqual([]),
      },
      auto: { body: { tools: TOOLS, tool_choice: 'auto', messages: ASKS_FOR_CALL }, check: calls },
      required: { body: { tools: TOOLS, tool_choice: 'required', ...user('hi') }, check: someCalls },
      function: {
        body: { tools: TOOLS, tool_choice: { type: 'function', function: { name: 'calculator' } }, ...user('hi') },
        check: calls,
      },
      allowed_tools: {
        body: {
          tools: TOOLS,
          tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [] } },
          ...user('hi'),
        },
        param: 'tool_choice',
      },
      custom: {
        body: { tools: TOOLS, tool_choice: { type: 'custom', custom: { name: 'x' } }, ...user('hi') },
        param: 'tool_choice',
      },
    },
  },
  'response_format type': {
    samples: {
      text: { body: { response_format: { type: 'text' }, ...user('hi') }, check: effect.contentIs('hi') },
      json_object: { body: { response_format: { type: 'json_object' }, ...user('hi') }, check: effect.isJsonObject },
      json_schema: {
        body: {
          response_format: { type: 'json_schema', json_schema: { name: 'd', schema: effect.SCHEMA } },
          ...user('hi'),
        },
        check: effect.validatesAgainst(effect.SCHEMA),
      },
    },
  },
};
