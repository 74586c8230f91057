import type {
  EasyInputMessage,
  ResponseCreateParamsBase,
  ResponseFunctionCallOutputItem,
  ResponseIncludable,
  ResponseInputContent,
  ResponseInputItem,
  ResponseOutputMessage,
  ResponseReasoningItem,
  Tool,
  ToolChoiceOptions,
  ResponseCreateParams,
  ResponseFormatTextConfig,
  ResponseTextConfig,
} from 'openai/resources/responses/responses';
import type { Reasoning } from 'openai/resources/shared';
import { honored, ignored, refused, requestSurface, type FieldHandling } from '../common/field-handling.js';
import {
  BOOLEAN,
  ENGINE_SAMPLING_EXTENSIONS,
  OBJECT,
  PROMPT_CACHE_FIELDS,
  SHARED_FIELDS,
  SHARED_VALUES,
  STRING,
  TEXT_AND_JSON_OBJECT_FORMATS,
} from '../common/field-rules.js';
import { TOP_LOGPROBS } from './chat-fields.js';

// Refusals that several of Responses' tables give alike.
const HOSTED_TOOL = refused('Hosted tools are not run here');
const FUNCTION_TOOLS_ONLY = refused('Only function tools are supported');
const MCP_SERVER = refused('MCP servers are not run here');
const PROGRAMMATIC_TOOL_CALLING = refused('Programmatic tool calling is not supported');
const NO_COMPACTION = refused('No server-side context compaction here');
const CUSTOM_TOOL = refused('Custom tools are not supported: use function tools');

/** The parts that carry something other than text, refused alike in messages and in function call outputs. */
const NON_TEXT_PARTS = {
  input_image: SHARED_VALUES.image,
  input_file: SHARED_VALUES.file,
};

/** Every field of the openai SDK's `ResponseCreateParams`. */
const RESPONSES_FIELDS = {
  background: refused('Responses run in the request here (no background mode)', [false]),
  context_management: NO_COMPACTION,
  conversation: refused('The Conversations API is not served: continue with previous_response_id'),
  include: honored(
    '"message.output_text.logprobs" adds the recorded log-probs to output_text parts; the other includables name outputs of hosted tools (never run here) or encrypted reasoning (reasoning is returned as text), accepted without effect',
    { type: 'array' },
  ),
  input: honored('A string, or items (messages, reasoning, function calls and their outputs, item references)'),
  instructions: honored('The system message (replaces the resumed conversation’s own)', {
    type: 'string',
    maxLength: 1 << 20,
  }),
  max_output_tokens: honored('Caps the generated tokens', { type: 'integer', min: 1 }),
  metadata: ignored('Echoed in the response, not stored', OBJECT),
  model: honored('Routes the request and is echoed in the response', STRING),
  moderation: SHARED_FIELDS.moderation,
  parallel_tool_calls: honored('As chat: false is honoured when tool_choice forces a call, refused otherwise', BOOLEAN),
  previous_response_id: honored(
    'A response recorded in the caller’s session: its conversation continues (404 otherwise)',
    { type: 'string', maxLength: 256 },
  ),
  prompt: refused('Stored prompt templates are not served'),
  ...PROMPT_CACHE_FIELDS,
  reasoning: honored(
    'effort "none" turns thinking off in the chat template, any other effort on (low, medium and high also reach gpt-oss\'s reasoning_effort); summary is accepted without effect (reasoning comes back as reasoning_text)',
    OBJECT,
  ),
  safety_identifier: SHARED_FIELDS.caller_id,
  service_tier: SHARED_FIELDS.service_tier,
  store: honored('false: the response is not recorded (nor resumable, nor referable)', BOOLEAN),
  stream: honored('Server-sent events in OpenAI’s order', BOOLEAN),
  stream_options: ignored('Only include_obfuscation, which changes no content'),
  temperature: honored('Sent to the engine; 0 is greedy', { type: 'number', min: 0, max: 2 }),
  text: honored(
    'format json_object or json_schema constrains decoding (text is the default); verbosity is refused',
    OBJECT,
  ),
  tool_choice: honored(
    'none, auto, required or a named function (required and named constrain decoding); hosted, allowed and custom choices are refused',
  ),
  tools: honored('Function tools; hosted tools (search, computer, code, MCP …) are refused', { type: 'array' }),
  top_logprobs: honored('Alternatives per token in output_text logprobs (with the include above)', TOP_LOGPROBS),
  top_p: SHARED_FIELDS.top_p,
  truncation: refused('No automatic truncation: a prompt that does not fit is a 400', ['disabled']),
  user: SHARED_FIELDS.caller_id,
} satisfies Record<keyof ResponseCreateParamsBase, FieldHandling>;

const RESPONSES_EXTENSIONS = {
  chat_template_kwargs: SHARED_FIELDS.chat_template_kwargs,
  ...ENGINE_SAMPLING_EXTENSIONS,
  seed: SHARED_FIELDS.seed,
};

const INPUT_ITEMS = {
  message: honored('Input and output messages become chat messages (text parts joined)'),
  reasoning: honored('The leading think block of the assistant turn that follows'),
  function_call: honored('A tool call of the assistant turn'),
  function_call_output: honored('A tool message'),
  item_reference: honored(
    'An item of a response recorded in the caller’s session, as it was answered (404 if unknown)',
  ),
  file_search_call: HOSTED_TOOL,
  computer_call: HOSTED_TOOL,
  computer_call_output: HOSTED_TOOL,
  web_search_call: HOSTED_TOOL,
  tool_search_call: HOSTED_TOOL,
  tool_search_output: HOSTED_TOOL,
  additional_tools: refused('Tools are declared in tools'),
  compaction: NO_COMPACTION,
  compaction_trigger: NO_COMPACTION,
  image_generation_call: HOSTED_TOOL,
  code_interpreter_call: HOSTED_TOOL,
  local_shell_call: FUNCTION_TOOLS_ONLY,
  local_shell_call_output: FUNCTION_TOOLS_ONLY,
  shell_call: FUNCTION_TOOLS_ONLY,
  shell_call_output: FUNCTION_TOOLS_ONLY,
  apply_patch_call: FUNCTION_TOOLS_ONLY,
  apply_patch_call_output: FUNCTION_TOOLS_ONLY,
  mcp_list_tools: MCP_SERVER,
  mcp_approval_request: MCP_SERVER,
  mcp_approval_response: MCP_SERVER,
  mcp_call: MCP_SERVER,
  custom_tool_call: CUSTOM_TOOL,
  custom_tool_call_output: CUSTOM_TOOL,
  program: PROGRAMMATIC_TOOL_CALLING,
  program_output: PROGRAMMATIC_TOOL_CALLING,
} satisfies Record<NonNullable<ResponseInputItem['type']>, FieldHandling>;

const MESSAGE_ROLES = {
  user: SHARED_VALUES.templated_role,
  system: SHARED_VALUES.templated_role,
  developer: honored('As chat: a system message unless the template has a developer role'),
  assistant: honored('Earlier answers (with the reasoning and function calls around them, one assistant turn)'),
} satisfies Record<EasyInputMessage['role'] | ResponseOutputMessage['role'], FieldHandling>;

const CONTENT_TYPES = {
  input_text: SHARED_VALUES.text,
  output_text: SHARED_VALUES.text,
  refusal: SHARED_VALUES.text,
  ...NON_TEXT_PARTS,
  reasoning_text: honored('A reasoning item’s text'),
  summary_text: honored('A reasoning item’s summary, used when it has no reasoning_text'),
} satisfies Record<
  | ResponseInputContent['type']
  | ResponseOutputMessage['content'][number]['type']
  | NonNullable<ResponseReasoningItem['content']>[number]['type']
  | ResponseReasoningItem['summary'][number]['type'],
  FieldHandling
>;

const OUTPUT_PARTS = {
  input_text: SHARED_VALUES.tool_result_text,
  ...NON_TEXT_PARTS,
} satisfies Record<ResponseFunctionCallOutputItem['type'], FieldHandling>;

const TOOL_TYPES = {
  function: SHARED_VALUES.function_tool,
  file_search: HOSTED_TOOL,
  computer: HOSTED_TOOL,
  computer_use_preview: HOSTED_TOOL,
  web_search: HOSTED_TOOL,
  web_search_2025_08_26: HOSTED_TOOL,
  web_search_preview: HOSTED_TOOL,
  web_search_preview_2025_03_11: HOSTED_TOOL,
  mcp: MCP_SERVER,
  code_interpreter: HOSTED_TOOL,
  programmatic_tool_calling: PROGRAMMATIC_TOOL_CALLING,
  image_generation: HOSTED_TOOL,
  local_shell: FUNCTION_TOOLS_ONLY,
  shell: FUNCTION_TOOLS_ONLY,
  custom: CUSTOM_TOOL,
  namespace: refused('Tool namespaces are not supported: declare function tools'),
  tool_search: HOSTED_TOOL,
  apply_patch: FUNCTION_TOOLS_ONLY,
} satisfies Record<Tool['type'], FieldHandling>;

type ToolChoiceKind = ToolChoiceOptions | Exclude<NonNullable<ResponseCreateParamsBase['tool_choice']>, string>['type'];

const TOOL_CHOICES = {
  none: SHARED_VALUES.no_tool_choice,
  auto: SHARED_VALUES.auto_tool_choice,
  required: SHARED_VALUES.one_or_more_calls,
  function: honored('Decoding constrained to one call of the named function'),
  allowed_tools: SHARED_VALUES.allowed_tools,
  file_search: HOSTED_TOOL,
  web_search_preview: HOSTED_TOOL,
  computer: HOSTED_TOOL,
  computer_use_preview: HOSTED_TOOL,
  computer_use: HOSTED_TOOL,
  web_search_preview_2025_03_11: HOSTED_TOOL,
  image_generation: HOSTED_TOOL,
  code_interpreter: HOSTED_TOOL,
  mcp: MCP_SERVER,
  custom: SHARED_VALUES.custom_tool_choice,
  programmatic_tool_calling: PROGRAMMATIC_TOOL_CALLING,
  apply_patch: FUNCTION_TOOLS_ONLY,
  shell: FUNCTION_TOOLS_ONLY,
} satisfies Record<ToolChoiceKind, FieldHandling>;

const INCLUDABLES = {
  'message.output_text.logprobs': honored(
    'output_text parts carry the recorded log-probs (and top_logprobs alternatives)',
  ),
  'reasoning.encrypted_content': ignored('Reasoning comes back as text; nothing is encrypted'),
  'file_search_call.results': ignored('Hosted tools are never run here: there is nothing to include'),
  'web_search_call.results': ignored('Hosted tools are never run here: there is nothing to include'),
  'web_search_call.action.sources': ignored('Hosted tools are never run here: there is nothing to include'),
  'message.input_image.image_url': ignored('Images are refused: there is nothing to include'),
  'computer_call_output.output.image_url': ignored('Hosted tools are never run here: there is nothing to include'),
  'code_interpreter_call.outputs': ignored('Hosted tools are never run here: there is nothing to include'),
} satisfies Record<ResponseIncludable, FieldHandling>;

const TEXT_FORMATS = {
  ...TEXT_AND_JSON_OBJECT_FORMATS,
  json_schema: honored('Decoding constrained to the schema (strict or not)'),
} satisfies Record<ResponseFormatTextConfig['type'], FieldHandling>;

/** The keys of `text` (a key the SDK adds fails the type check until it is decided). */
const TEXT_KEYS = {
  format: honored('text, json_object or json_schema (see text.format type)'),
  verbosity: refused('Nothing here sets the length of the answer'),
} satisfies Record<keyof ResponseTextConfig, FieldHandling>;

/** The keys of `reasoning` (a key the SDK adds fails the type check until it is decided). */
const REASONING_KEYS = {
  effort: honored(
    '"none" turns thinking off in the chat template, any other effort on; low, medium and high also set reasoning_effort (gpt-oss)',
  ),
  summary: ignored('Reasoning comes back whole, as reasoning_text; no summary is written'),
  generate_summary: ignored('Reasoning comes back whole, as reasoning_text; no summary is written'),
  context: refused('The reasoning items sent in input are the ones the prompt holds', ['auto']),
  mode: refused('One reasoning mode here', ['standard']),
} satisfies Record<keyof Reasoning, FieldHandling>;

/** Kept so that the SDK's streaming options keep meaning nothing here (a new option fails the type check). */
const STREAM_OPTIONS = {
  include_obfuscation: ignored('Changes no content'),
} satisfies Record<keyof ResponseCreateParams.StreamOptions, FieldHandling>;

/** `/v1/responses`: its fields, the engine extensions it takes, and its value tables. */
export const RESPONSES_SURFACE = requestSurface<ResponseCreateParamsBase>()({
  api: 'Responses (`/v1/responses`)',
  fields: RESPONSES_FIELDS,
  extensions: RESPONSES_EXTENSIONS,
  kinds: {
    'input item type': INPUT_ITEMS,
    'message role': MESSAGE_ROLES,
    'content type': CONTENT_TYPES,
    'function_call_output part type': OUTPUT_PARTS,
    'tool type': TOOL_TYPES,
    tool_choice: TOOL_CHOICES,
    include: INCLUDABLES,
    'text.format type': TEXT_FORMATS,
    'text key': TEXT_KEYS,
    'reasoning key': REASONING_KEYS,
    stream_options: STREAM_OPTIONS,
  },
});
