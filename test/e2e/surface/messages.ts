import { expect } from '@jest/globals';
import { MESSAGES_SURFACE } from '@app/contracts';
import * as effect from './effects.js';
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
const ASKS_FOR_CALL = [{ role: 'user', content: `Compute this. ${effect.CALCULATOR_CALL}` }];
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
  max_tokens: [{ value: 3, check: effect.budget(3) }],
  messages: [
    { value: [{ role: 'user', content: [{ type: 'text', text: 'blocks' }] }], check: effect.contentIs('blocks') },
  ],
  ...effect.COMMON_FIELD_SAMPLES,
  cache_control: [{ value: { type: 'ephemeral' } }],
  container: [{ value: 'container_1' }],
  diagnostics: [{ value: { previous_message_id: null } }],
  inference_geo: [{ value: 'us' }],
  metadata: [{ value: { user_id: 'u' } }],
  output_config: [
    {
      value: { format: { type: 'json_schema', schema: effect.SCHEMA } },
      group: 'constraint',
      check: effect.all(
        effect.constrainedTo({ kind: 'json_schema', schema: effect.SCHEMA, strict: true }),
        effect.validatesAgainst(effect.SCHEMA),
      ),
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
    { value: 'Be brief.', check: effect.systemRendered },
    {
      value: effect.textParts('text', 'Be ', 'brief.'),
      check: effect.systemRendered,
    },
  ],
  thinking: [
    { value: { type: 'disabled' }, group: 'thinking', check: effect.thinkingOff },
    { value: { type: 'enabled', budget_tokens: 1024 }, group: 'thinking', check: effect.thinkingOn },
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
      check: effect.all(
        (x) => expect(JSON.stringify(x.input?.sampling.constraint)).toContain('calls ::= call\\n'),
        calls,
      ),
    },
    { value: { type: 'auto', disable_parallel_tool_use: true }, with: { tools: TOOLS }, refused: true },
  ],
  tools: [{ value: TOOLS, with: { messages: ASKS_FOR_CALL }, check: calls }],
  user_profile_id: [{ value: 'profile-1' }],
  workspace_id: [{ value: 'workspace-1' }],
  chat_template_kwargs: [{ value: { enable_thinking: false }, group: 'thinking', check: effect.thinkingOff }],
};

const user = (content: unknown) => ({ messages: [{ role: 'user', content }] });
const TOOL_USE = { type: 'tool_use', id: 'toolu_1', name: 'calculator', input: { expression: '1' } };
/** A user turn, the assistant's calculator call, and the user's tool_result for it (`content`, and `extra` fields). */
const afterToolUse = (content: unknown, extra: Record<string, unknown> = {}): Record<string, unknown>[] => [
  { role: 'user', content: 'a' },
  { role: 'assistant', content: [TOOL_USE] },
  { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content, ...extra }] },
];

export const MESSAGES_KIND_SAMPLES: KindSamples<typeof MESSAGES_SURFACE> = {
  'message role': {
    samples: {
      user: { body: user('hi'), check: effect.contentIs('hi') },
      assistant: { body: { messages: effect.aroundAssistant({ content: 'b' }) }, check: effect.assistantRendered('b') },
      system: { body: { messages: effect.instructedAs('system') }, check: effect.systemRendered },
    },
  },
  'content block type': {
    samples: {
      text: {
        body: user(effect.textParts('text', 'a', 'b')),
        check: effect.contentIs('ab'),
      },
      thinking: {
        body: {
          messages: effect.aroundAssistant({
            content: [
              { type: 'thinking', thinking: 'why', signature: '' },
              { type: 'text', text: 'b' },
            ],
          }),
        },
        check: effect.assistantRendered('b'),
      },
      redacted_thinking: {
        body: {
          messages: effect.aroundAssistant({
            content: [
              { type: 'redacted_thinking', data: 'xyz' },
              { type: 'text', text: 'b' },
            ],
          }),
        },
        check: effect.assistantRendered('b'),
      },
      tool_use: {
        body: { tools: TOOLS, messages: afterToolUse('1') },
        check: effect.promptHas('<tool_call>\n{"name": "calculator", "arguments": {"expression": "1"}}\n</tool_call>'),
      },
      tool_result: {
        body: { tools: TOOLS, messages: afterToolUse([{ type: 'text', text: '1' }], { is_error: false }) },
        check: effect.contentIs('<tool_response>\n1\n</tool_response>'),
      },
    },
    refusedAs: (kind) => ({ body: user([{ type: kind }]), param: 'messages[0].content[0]' }),
  },
  'tool_result content type': {
    samples: {
      text: {
        body: { tools: TOOLS, messages: afterToolUse([{ type: 'text', text: '5' }]) },
        check: effect.contentIs('<tool_response>\n5\n</tool_response>'),
      },
    },
    refusedAs: (kind) => ({
      body: { messages: afterToolUse([{ type: kind }]) },
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
      enabled: {
        body: { thinking: { type: 'enabled', budget_tokens: 1024 }, ...user('hi') },
        check: effect.thinkingOn,
      },
      adaptive: { body: { thinking: { type: 'adaptive' }, ...user('hi') }, check: effect.thinkingOn },
      between_tools: { body: { thinking: { type: 'between_tools' }, ...user('hi') }, check: effect.thinkingOn },
      disabled: { body: { thinking: { type: 'disabled' }, ...user('hi') }, check: effect.thinkingOff },
    },
  },
};
