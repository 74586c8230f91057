import { expect } from '@jest/globals';
import { MESSAGES_SURFACE } from '@app/contracts';
import {
  all,
  budget,
  CALCULATOR_CALL,
  constrainedTo,
  contentIs,
  engineGot,
  notRecorded,
  promptHas,
  SCHEMA,
  thinkingOff,
  thinkingOn,
  validatesAgainst,
} from './effects.js';
import type { ApiUnderTest, Exchange, FieldSamples, KindSamples } from './harness.js';

type Block = { type: string; text?: string; name?: string; id?: string };

export const MESSAGES: ApiUnderTest = {
  name: 'messages',
  path: '/v1/messages',
  surface: MESSAGES_SURFACE,
  base: { model: 'default', max_tokens: 64, messages: [{ role: 'user', content: 'hello there' }] },
  answerId: ({ json, events }) => json?.id ?? events?.[0]?.message?.id,
  content: ({ json, events }) =>
    json
      ? (json.content as Block[])
          .filter((b) => b.type === 'text')
          .map((b) => b.text ?? '')
          .join('')
      : (events ?? [])
          .filter((e) => e?.type === 'content_block_delta' && e.delta?.type === 'text_delta')
          .map((e) => e.delta.text as string)
          .join(''),
  /** Anthropic's error shape; it has no `param`, so the message names the field. */
  expectRefusal: (x, field) => {
    expect(x.status).toBeGreaterThanOrEqual(400);
    expect(x.status).toBeLessThan(500);
    expect(x.json).toEqual(
      expect.objectContaining({ type: 'error', error: expect.objectContaining({ type: expect.any(String) }) }),
    );
    expect(x.json.error.message).toContain(field);
  },
};

const TOOLS = [
  {
    name: 'calculator',
    description: 'Evaluate arithmetic',
    input_schema: { type: 'object', properties: { expression: { type: 'string' } } },
  },
];
const ASKS_FOR_CALL = [{ role: 'user', content: `Compute this. ${CALCULATOR_CALL}` }];
const toolUses = (x: Exchange): Block[] => (x.json.content as Block[]).filter((b) => b.type === 'tool_use');
const calls = (x: Exchange): void => {
  expect(toolUses(x).map((b) => b.name)).toEqual(['calculator']);
  expect(x.json.stop_reason).toBe('tool_use');
};
/**
 * "any" with parallel tool use allowed: one or more calls, all of the given tools. The grammar
 * allows any number of calls and engine-sim's sampler picks how many, so the answer may also end
 * at the budget after its complete calls.
 */
const someCalls = (x: Exchange): void => {
  expect(toolUses(x).length).toBeGreaterThanOrEqual(1);
  expect(new Set(toolUses(x).map((b) => b.name))).toEqual(new Set(['calculator']));
  expect(['tool_use', 'max_tokens']).toContain(x.json.stop_reason);
};

export const MESSAGES_FIELD_SAMPLES: FieldSamples<typeof MESSAGES_SURFACE> = {
  max_tokens: [{ value: 3, check: budget(3) }],
  messages: [{ value: [{ role: 'user', content: [{ type: 'text', text: 'blocks' }] }], check: contentIs('blocks') }],
  model: [{ value: 'my-model', check: (x) => expect(x.json.model).toBe('my-model') }],
  cache_control: [{ value: { type: 'ephemeral' } }],
  container: [{ value: 'container_1' }],
  diagnostics: [{ value: { previous_message_id: null } }],
  inference_geo: [{ value: 'us' }],
  metadata: [{ value: { user_id: 'u' } }],
  output_config: [
    {
      value: { format: { type: 'json_schema', schema: SCHEMA } },
      group: 'constraint',
      check: all(constrainedTo({ kind: 'json_schema', schema: SCHEMA, strict: true }), validatesAgainst(SCHEMA)),
    },
    { value: { effort: 'high' }, refused: true },
  ],
  service_tier: [{ value: 'standard_only' }],
  speed: [{ value: 'fast' }],
  stop_sequences: [
    {
      value: ['STOP'],
      with: { messages: [{ role: 'user', content: 'one two STOP three' }] },
      check: (x) => {
        expect(x.content).toBe('one two ');
        expect(x.json).toEqual(expect.objectContaining({ stop_reason: 'stop_sequence', stop_sequence: 'STOP' }));
      },
    },
  ],
  stream: [
    {
      value: true,
      check: (x, base) => {
        expect(x.events?.at(-1)?.type).toBe('message_stop');
        expect(x.content).toBe(base.content);
      },
    },
  ],
  system: [
    { value: 'Be brief.', check: promptHas('<|im_start|>system\nBe brief.<|im_end|>') },
    {
      value: [
        { type: 'text', text: 'Be ' },
        { type: 'text', text: 'brief.' },
      ],
      check: promptHas('<|im_start|>system\nBe brief.<|im_end|>'),
    },
  ],
  thinking: [
    { value: { type: 'disabled' }, group: 'thinking', check: thinkingOff },
    { value: { type: 'enabled', budget_tokens: 1024 }, group: 'thinking', check: thinkingOn },
  ],
  tool_choice: [
    {
      value: { type: 'none' },
      with: { tools: TOOLS, messages: ASKS_FOR_CALL },
      check: (x) => expect(toolUses(x)).toEqual([]),
    },
    { value: { type: 'auto' }, with: { tools: TOOLS, messages: ASKS_FOR_CALL }, check: calls },
    { value: { type: 'any' }, with: { tools: TOOLS, max_tokens: 1024 }, group: 'constraint', check: someCalls },
    {
      value: { type: 'tool', name: 'calculator', disable_parallel_tool_use: true },
      with: { tools: TOOLS },
      group: 'constraint',
      check: all((x) => expect(JSON.stringify(x.input?.sampling.constraint)).toContain('calls ::= call\\n'), calls),
    },
    { value: { type: 'auto', disable_parallel_tool_use: true }, with: { tools: TOOLS }, refused: true },
  ],
  tools: [{ value: TOOLS, with: { messages: ASKS_FOR_CALL }, check: calls }],
  user_profile_id: [{ value: 'profile-1' }],
  workspace_id: [{ value: 'workspace-1' }],
  temperature: [{ value: 0.5, check: engineGot('temperature', 0.5) }],
  top_p: [{ value: 0.9, check: engineGot('topP', 0.9) }],
  top_k: [{ value: 5, check: engineGot('topK', 5) }],
  min_p: [{ value: 0.1, check: engineGot('minP', 0.1) }],
  repetition_penalty: [{ value: 1.1, check: engineGot('repetitionPenalty', 1.1) }],
  seed: [{ value: 7, check: engineGot('seed', 7) }],
  store: [{ value: false, check: notRecorded }],
  chat_template_kwargs: [{ value: { enable_thinking: false }, group: 'thinking', check: thinkingOff }],
};

const user = (content: unknown) => ({ messages: [{ role: 'user', content }] });
const TOOL_USE = { type: 'tool_use', id: 'toolu_1', name: 'calculator', input: { expression: '1' } };

export const MESSAGES_KIND_SAMPLES: KindSamples<typeof MESSAGES_SURFACE> = {
  'message role': {
    samples: {
      user: { body: user('hi'), check: contentIs('hi') },
      assistant: {
        body: {
          messages: [
            { role: 'user', content: 'a' },
            { role: 'assistant', content: 'b' },
            { role: 'user', content: 'c' },
          ],
        },
        check: promptHas('<|im_start|>assistant\nb<|im_end|>'),
      },
      system: {
        body: {
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'hi' },
          ],
        },
        check: promptHas('<|im_start|>system\nBe brief.<|im_end|>'),
      },
    },
  },
  'content block type': {
    samples: {
      text: {
        body: user([
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ]),
        check: contentIs('ab'),
      },
      thinking: {
        body: {
          messages: [
            { role: 'user', content: 'a' },
            {
              role: 'assistant',
              content: [
                { type: 'thinking', thinking: 'why', signature: '' },
                { type: 'text', text: 'b' },
              ],
            },
            { role: 'user', content: 'c' },
          ],
        },
        check: promptHas('<|im_start|>assistant\nb<|im_end|>'),
      },
      redacted_thinking: {
        body: {
          messages: [
            { role: 'user', content: 'a' },
            {
              role: 'assistant',
              content: [
                { type: 'redacted_thinking', data: 'xyz' },
                { type: 'text', text: 'b' },
              ],
            },
            { role: 'user', content: 'c' },
          ],
        },
        check: promptHas('<|im_start|>assistant\nb<|im_end|>'),
      },
      tool_use: {
        body: {
          tools: TOOLS,
          messages: [
            { role: 'user', content: 'a' },
            { role: 'assistant', content: [TOOL_USE] },
            { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '1' }] },
          ],
        },
        check: promptHas('<tool_call>\n{"name": "calculator", "arguments": {"expression": "1"}}\n</tool_call>'),
      },
      tool_result: {
        body: {
          tools: TOOLS,
          messages: [
            { role: 'user', content: 'a' },
            { role: 'assistant', content: [TOOL_USE] },
            {
              role: 'user',
              content: [
                {
                  type: 'tool_result',
                  tool_use_id: 'toolu_1',
                  content: [{ type: 'text', text: '1' }],
                  is_error: false,
                },
              ],
            },
          ],
        },
        check: contentIs('<tool_response>\n1\n</tool_response>'),
      },
    },
    refusedAs: (kind) => ({ body: user([{ type: kind }]), param: 'messages[0].content[0]' }),
  },
  'tool_result content type': {
    samples: {
      text: {
        body: {
          tools: TOOLS,
          messages: [
            { role: 'user', content: 'a' },
            { role: 'assistant', content: [TOOL_USE] },
            {
              role: 'user',
              content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '5' }] }],
            },
          ],
        },
        check: contentIs('<tool_response>\n5\n</tool_response>'),
      },
    },
    refusedAs: (kind) => ({
      body: {
        messages: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: [TOOL_USE] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: kind }] }] },
        ],
      },
      param: 'messages[2].content[0].content[0]',
    }),
  },
  'tool type': {
    samples: { custom: { body: { tools: [{ ...TOOLS[0], type: 'custom' }], messages: ASKS_FOR_CALL }, check: calls } },
    refusedAs: (kind) => ({ body: { tools: [{ type: kind, name: 'x' }], ...user('hi') }, param: 'tools[0].type' }),
  },
  tool_choice: {
    samples: {
      auto: { body: { tools: TOOLS, tool_choice: { type: 'auto' }, messages: ASKS_FOR_CALL }, check: calls },
      any: { body: { tools: TOOLS, tool_choice: { type: 'any' }, max_tokens: 1024, ...user('hi') }, check: someCalls },
      tool: { body: { tools: TOOLS, tool_choice: { type: 'tool', name: 'calculator' }, ...user('hi') }, check: calls },
      none: {
        body: { tools: TOOLS, tool_choice: { type: 'none' }, messages: ASKS_FOR_CALL },
        check: (x) => expect(toolUses(x)).toEqual([]),
      },
    },
  },
  thinking: {
    samples: {
      enabled: { body: { thinking: { type: 'enabled', budget_tokens: 1024 }, ...user('hi') }, check: thinkingOn },
      adaptive: { body: { thinking: { type: 'adaptive' }, ...user('hi') }, check: thinkingOn },
      between_tools: { body: { thinking: { type: 'between_tools' }, ...user('hi') }, check: thinkingOn },
      disabled: { body: { thinking: { type: 'disabled' }, ...user('hi') }, check: thinkingOff },
    },
  },
};
