import type {
  ContentBlockParam,
  MessageCreateParamsBase,
  MessageParam,
  ThinkingConfigParam,
  ToolChoice,
  ToolResultBlockParam,
  ToolUnion,
} from '@anthropic-ai/sdk/resources/messages';
import { honored, ignored, refused, requestSurface, type FieldHandling } from '../common/field-handling.js';
import {
  BOOLEAN,
  ENGINE_SAMPLING_EXTENSIONS,
  OBJECT,
  SHARED_FIELDS,
  SHARED_VALUES,
  STRING,
} from '../common/field-rules.js';

const SERVER_TOOL = 'Server tools are not run here: declare client tools (name, input_schema)';

/** The blocks that carry something other than text, refused alike in messages and in tool results. */
const NON_TEXT_BLOCKS = {
  image: SHARED_VALUES.image,
  document: SHARED_VALUES.document,
  search_result: refused('Search result blocks are not supported: send their text'),
};

/** Every field of the Anthropic SDK's `MessageCreateParams`. */
const MESSAGES_FIELDS = {
  max_tokens: honored('Required, as Anthropic requires it: caps the generated tokens', { type: 'integer', min: 1 }),
  messages: honored(
    'User and assistant turns (content blocks become chat messages), templated with the model’s own chat template',
    { type: 'array' },
  ),
  model: SHARED_FIELDS.model,
  cache_control: ignored('The engine’s prefix cache works without breakpoints', OBJECT),
  container: refused('No code execution containers here'),
  diagnostics: ignored('Accepted and not reported', OBJECT),
  inference_geo: ignored('One place here', STRING),
  metadata: ignored('Accepted and not stored', OBJECT),
  output_config: honored('format json_schema constrains decoding to the schema; effort is refused', OBJECT),
  service_tier: SHARED_FIELDS.service_tier,
  speed: ignored('Changes latency only, never the output'),
  stop_sequences: honored('Stop strings (at most 16); stop_reason "stop_sequence" names the matched one', {
    type: 'array',
  }),
  stream: honored('Server-sent events in Anthropic’s order', BOOLEAN),
  system: honored('The system message (text blocks joined)'),
  thinking: honored(
    'enabled, adaptive or between_tools turn thinking on in the chat template, disabled off; budget_tokens is not enforced',
    OBJECT,
  ),
  tool_choice: honored(
    'auto, any (constrained to a call), tool (constrained to that tool), none; disable_parallel_tool_use as parallel_tool_calls: false',
    OBJECT,
  ),
  tools: honored('Client tools (name, description, input_schema); server tools are refused', { type: 'array' }),
  user_profile_id: SHARED_FIELDS.caller_id,
  workspace_id: ignored('One workspace here', STRING),
} satisfies Record<keyof MessageCreateParamsBase, FieldHandling>;

/** Sampling fields earlier Anthropic SDKs declare (LangChain’s still sends them), and the engines’ extensions. */
const MESSAGES_EXTENSIONS = {
  temperature: honored('Sent to the engine (Anthropic’s range)', { type: 'number', min: 0, max: 1 }),
  top_p: SHARED_FIELDS.top_p,
  ...ENGINE_SAMPLING_EXTENSIONS,
  seed: SHARED_FIELDS.seed,
  store: SHARED_FIELDS.store,
  chat_template_kwargs: SHARED_FIELDS.chat_template_kwargs,
};

const ROLES = {
  user: honored('Text and tool_result blocks (each tool result a tool message)'),
  assistant: honored('Text, thinking and tool_use blocks: one assistant message'),
  system: honored('A system message (text blocks joined)'),
} satisfies Record<MessageParam['role'], FieldHandling>;

const CONTENT_BLOCKS = {
  text: SHARED_VALUES.text,
  thinking: honored('The leading think block of the assistant message'),
  redacted_thinking: ignored('Encrypted thinking of another model: never produced here, dropped'),
  tool_use: honored('A tool call of the assistant message'),
  tool_result: honored('A tool message (text blocks joined; is_error accepted without effect)'),
  ...NON_TEXT_BLOCKS,
  container_upload: refused('No code execution containers here'),
  server_tool_use: refused(SERVER_TOOL),
  web_search_tool_result: refused(SERVER_TOOL),
  web_fetch_tool_result: refused(SERVER_TOOL),
  code_execution_tool_result: refused(SERVER_TOOL),
  bash_code_execution_tool_result: refused(SERVER_TOOL),
  text_editor_code_execution_tool_result: refused(SERVER_TOOL),
  tool_search_tool_result: refused(SERVER_TOOL),
} satisfies Record<ContentBlockParam['type'], FieldHandling>;

const TOOL_RESULT_CONTENT = {
  text: SHARED_VALUES.tool_result_text,
  ...NON_TEXT_BLOCKS,
  tool_reference: refused('Deferred tools are not supported'),
  browser_state: refused(SERVER_TOOL),
} satisfies Record<Exclude<NonNullable<ToolResultBlockParam['content']>, string>[number]['type'], FieldHandling>;

const TOOL_TYPES = {
  custom: honored('A client tool (also with no type)'),
  bash_20250124: refused(SERVER_TOOL),
  code_execution_20250522: refused(SERVER_TOOL),
  code_execution_20250825: refused(SERVER_TOOL),
  code_execution_20260120: refused(SERVER_TOOL),
  code_execution_20260521: refused(SERVER_TOOL),
  browser_toolset_20260801: refused(SERVER_TOOL),
  memory_20250818: refused(SERVER_TOOL),
  computer_toolset_20260801: refused(SERVER_TOOL),
  text_editor_20250124: refused(SERVER_TOOL),
  text_editor_20250429: refused(SERVER_TOOL),
  text_editor_20250728: refused(SERVER_TOOL),
  web_search_20250305: refused(SERVER_TOOL),
  web_search_20260209: refused(SERVER_TOOL),
  web_search_20260318: refused(SERVER_TOOL),
  web_fetch_20250910: refused(SERVER_TOOL),
  web_fetch_20260209: refused(SERVER_TOOL),
  web_fetch_20260309: refused(SERVER_TOOL),
  web_fetch_20260318: refused(SERVER_TOOL),
  tool_search_tool_bm25_20251119: refused(SERVER_TOOL),
  tool_search_tool_bm25: refused(SERVER_TOOL),
  tool_search_tool_regex_20251119: refused(SERVER_TOOL),
  tool_search_tool_regex: refused(SERVER_TOOL),
} satisfies Record<NonNullable<ToolUnion['type']>, FieldHandling>;

const TOOL_CHOICES = {
  auto: SHARED_VALUES.auto_tool_choice,
  any: SHARED_VALUES.one_or_more_calls,
  tool: honored('Decoding constrained to one call of the named tool'),
  none: SHARED_VALUES.no_tool_choice,
} satisfies Record<ToolChoice['type'], FieldHandling>;

const THINKING_ON = honored('Thinking on in the chat template');

const THINKING = {
  enabled: honored('Thinking on in the chat template (budget_tokens not enforced)'),
  adaptive: THINKING_ON,
  between_tools: THINKING_ON,
  disabled: honored('Thinking off in the chat template'),
} satisfies Record<ThinkingConfigParam['type'], FieldHandling>;

/** `/v1/messages`: its fields, the extensions it takes, and its value tables. */
export const MESSAGES_SURFACE = requestSurface<MessageCreateParamsBase>()({
  api: 'Anthropic Messages (`/v1/messages`)',
  fields: MESSAGES_FIELDS,
  extensions: MESSAGES_EXTENSIONS,
  kinds: {
    'message role': ROLES,
    'content block type': CONTENT_BLOCKS,
    'tool_result content type': TOOL_RESULT_CONTENT,
    'tool type': TOOL_TYPES,
    tool_choice: TOOL_CHOICES,
    thinking: THINKING,
  },
});
