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
import { BOOLEAN, ENGINE_SAMPLING_EXTENSIONS, OBJECT, SEED, STRING, TEXT_ONLY } from '../common/field-rules.js';
import { TOP_LOGPROBS, TOP_P } from './chat-fields.js';

/** Every field of the openai SDK's `ResponseCreateParams`. */
const RESPONSES_FIELDS = {
  background: refused('Responses run in the request here (no background mode)', [false]),
  context_management: refused('No server-side context compaction here'),
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
  moderation: refused('No moderation runs here'),
  parallel_tool_calls: honored('As chat: false is honoured when tool_choice forces a call, refused otherwise', BOOLEAN),
  previous_response_id: honored(
    'A response recorded in the caller’s session: its conversation continues (404 otherwise)',
    { type: 'string', maxLength: 256 },
  ),
  prompt: refused('Stored prompt templates are not served'),
  prompt_cache_key: ignored('The engine’s prefix cache needs no key', { type: 'string', maxLength: 1024 }),
  prompt_cache_options: ignored('The engine’s prefix cache needs no options'),
  prompt_cache_retention: ignored('The engine’s prefix cache keeps what fits'),
  reasoning: honored(
    'effort "none" turns thinking off in the chat template, any other effort on (low, medium and high also reach gpt-oss\'s reasoning_effort); summary is accepted without effect (reasoning comes back as reasoning_text)',
    OBJECT,
  ),
  safety_identifier: ignored('Accepted and not stored', STRING),
  service_tier: ignored('One tier here'),
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
  top_p: honored('Sent to the engine', TOP_P),
  truncation: refused('No automatic truncation: a prompt that does not fit is a 400', ['disabled']),
  user: ignored('Accepted and not stored', STRING),
} satisfies Record<keyof ResponseCreateParamsBase, FieldHandling>;

const RESPONSES_EXTENSIONS = {
  chat_template_kwargs: honored('Passed to the chat template (e.g. enable_thinking)', OBJECT),
  ...ENGINE_SAMPLING_EXTENSIONS,
  seed: honored('Sent to the engine', SEED),
};

const INPUT_ITEMS = {
  message: honored('Input and output messages become chat messages (text parts joined)'),
  reasoning: honored('The leading think block of the assistant turn that follows'),
  function_call: honored('A tool call of the assistant turn'),
  function_call_output: honored('A tool message'),
  item_reference: honored(
    'An item of a response recorded in the caller’s session, as it was answered (404 if unknown)',
  ),
  file_search_call: refused('Hosted tools are not run here'),
  computer_call: refused('Hosted tools are not run here'),
  computer_call_output: refused('Hosted tools are not run here'),
  web_search_call: refused('Hosted tools are not run here'),
  tool_search_call: refused('Hosted tools are not run here'),
  tool_search_output: refused('Hosted tools are not run here'),
  additional_tools: refused('Tools are declared in tools'),
  compaction: refused('No server-side context compaction here'),
  compaction_trigger: refused('No server-side context compaction here'),
  image_generation_call: refused('Hosted tools are not run here'),
  code_interpreter_call: refused('Hosted tools are not run here'),
  local_shell_call: refused('Only function tools are supported'),
  local_shell_call_output: refused('Only function tools are supported'),
  shell_call: refused('Only function tools are supported'),
  shell_call_output: refused('Only function tools are supported'),
  apply_patch_call: refused('Only function tools are supported'),
  apply_patch_call_output: refused('Only function tools are supported'),
  mcp_list_tools: refused('MCP servers are not run here'),
  mcp_approval_request: refused('MCP servers are not run here'),
  mcp_approval_response: refused('MCP servers are not run here'),
  mcp_call: refused('MCP servers are not run here'),
  custom_tool_call: refused('Custom tools are not supported: use function tools'),
  custom_tool_call_output: refused('Custom tools are not supported: use function tools'),
  program: refused('Programmatic tool calling is not supported'),
  program_output: refused('Programmatic tool calling is not supported'),
} satisfies Record<NonNullable<ResponseInputItem['type']>, FieldHandling>;

const MESSAGE_ROLES = {
  user: honored('Rendered by the chat template'),
  system: honored('Rendered by the chat template'),
  developer: honored('As chat: a system message unless the template has a developer role'),
  assistant: honored('Earlier answers (with the reasoning and function calls around them, one assistant turn)'),
} satisfies Record<EasyInputMessage['role'] | ResponseOutputMessage['role'], FieldHandling>;

const CONTENT_TYPES = {
  input_text: honored('Joined into the message text'),
  output_text: honored('Joined into the message text'),
  refusal: honored('Joined into the message text'),
  input_image: refused(`Images are not supported: ${TEXT_ONLY}`),
  input_file: refused(`Files are not supported: ${TEXT_ONLY}`),
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
  input_text: honored('Joined into the tool message'),
  input_image: refused(`Images are not supported: ${TEXT_ONLY}`),
  input_file: refused(`Files are not supported: ${TEXT_ONLY}`),
} satisfies Record<ResponseFunctionCallOutputItem['type'], FieldHandling>;

const TOOL_TYPES = {
  function: honored('Rendered by the chat template; calls parsed from the model’s tool-call format'),
  file_search: refused('Hosted tools are not run here'),
  computer: refused('Hosted tools are not run here'),
  computer_use_preview: refused('Hosted tools are not run here'),
  web_search: refused('Hosted tools are not run here'),
  web_search_2025_08_26: refused('Hosted tools are not run here'),
  web_search_preview: refused('Hosted tools are not run here'),
  web_search_preview_2025_03_11: refused('Hosted tools are not run here'),
  mcp: refused('MCP servers are not run here'),
  code_interpreter: refused('Hosted tools are not run here'),
  programmatic_tool_calling: refused('Programmatic tool calling is not supported'),
  image_generation: refused('Hosted tools are not run here'),
  local_shell: refused('Only function tools are supported'),
  shell: refused('Only function tools are supported'),
  custom: refused('Custom tools are not supported: use function tools'),
  namespace: refused('Tool namespaces are not supported: declare function tools'),
  tool_search: refused('Hosted tools are not run here'),
  apply_patch: refused('Only function tools are supported'),
} satisfies Record<Tool['type'], FieldHandling>;

type ToolChoiceKind = ToolChoiceOptions | Exclude<NonNullable<ResponseCreateParamsBase['tool_choice']>, string>['type'];

const TOOL_CHOICES = {
  none: honored('No tool calls parsed'),
  auto: honored('The model decides'),
  required: honored('Decoding constrained to one or more calls of the given tools'),
  function: honored('Decoding constrained to one call of the named function'),
  allowed_tools: refused('Not supported: send the allowed tools as tools'),
  file_search: refused('Hosted tools are not run here'),
  web_search_preview: refused('Hosted tools are not run here'),
  computer: refused('Hosted tools are not run here'),
  computer_use_preview: refused('Hosted tools are not run here'),
  computer_use: refused('Hosted tools are not run here'),
  web_search_preview_2025_03_11: refused('Hosted tools are not run here'),
  image_generation: refused('Hosted tools are not run here'),
  code_interpreter: refused('Hosted tools are not run here'),
  mcp: refused('MCP servers are not run here'),
  custom: refused('Custom tools are not supported'),
  programmatic_tool_calling: refused('Programmatic tool calling is not supported'),
  apply_patch: refused('Only function tools are supported'),
  shell: refused('Only function tools are supported'),
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
  text: honored('The default'),
  json_object: honored('Decoding constrained to a JSON object'),
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
