import type {
  ChatCompletionContentPart,
  ChatCompletionContentPartRefusal,
  ChatCompletionCreateParamsBase,
  ChatCompletionMessageParam,
  ChatCompletionTool,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';
import type { ResponseFormatJSONObject, ResponseFormatJSONSchema, ResponseFormatText } from 'openai/resources/shared';
import { honored, ignored, refused, requestSurface, type FieldHandling } from '../common/field-handling.js';
import {
  ARRAY,
  BOOLEAN,
  ENGINE_GENERATION_EXTENSIONS,
  OBJECT,
  PROMPT_CACHE_FIELDS,
  SEED,
  SHARED_FIELDS,
  SHARED_VALUES,
  STRING,
  TEXT_AND_JSON_OBJECT_FORMATS,
  TEXT_ONLY,
  TOP_P,
} from '../common/field-rules.js';

/** `temperature` here: the reference accepts any value the engines take, greedy at 0. */
export const CHAT_TEMPERATURE = { type: 'number', min: 0, max: 100 } as const;
/** Alternatives per token: OpenAI's limit. */
export const TOP_LOGPROBS = { type: 'integer', min: 0, max: 20 } as const;
export const AT_LEAST_ONE = { type: 'integer', min: 1 } as const;

/**
 * Every field of the openai SDK's `ChatCompletionCreateParams`, declared. The `satisfies` makes a
 * field added by a new SDK version a type error here until someone decides what it does.
 */
const CHAT_FIELDS = {
  messages: honored(
    'Normalised as the engines’ OpenAI servers do (text parts joined, null content as ""), then templated with the model’s own chat template',
    ARRAY,
  ),
  model: honored(
    'Routes the request (model routing at the router) and is echoed in the answer; the data proxy serves its one model',
    STRING,
  ),
  audio: refused(`Audio output is not supported: ${TEXT_ONLY}`),
  frequency_penalty: SHARED_FIELDS.frequency_penalty,
  function_call: refused('Deprecated by OpenAI and not supported: use tool_choice'),
  functions: refused('Deprecated by OpenAI and not supported: use tools'),
  logit_bias: SHARED_FIELDS.logit_bias,
  logprobs: honored(
    'The answer carries `choices[].logprobs.content` (the recorded log-probs, streamed too); always recorded either way',
    BOOLEAN,
  ),
  max_completion_tokens: honored('Caps the generated tokens', AT_LEAST_ONE),
  max_tokens: honored('Legacy alias of max_completion_tokens (not both)', AT_LEAST_ONE),
  metadata: ignored('Accepted and not stored: it cannot change what is generated', OBJECT),
  modalities: refused(`Only text output: ${TEXT_ONLY}`, ['text']),
  moderation: SHARED_FIELDS.moderation,
  n: refused('One completion per request: send n requests (each is one recorded interaction)', [1]),
  parallel_tool_calls: honored(
    'true (the default): the model may call several tools in one turn; false: honoured when tool_choice forces a call (one call), refused otherwise',
    BOOLEAN,
  ),
  prediction: ignored('Predicted outputs only change latency on OpenAI, never the output; nothing to speed up here'),
  presence_penalty: SHARED_FIELDS.presence_penalty,
  ...PROMPT_CACHE_FIELDS,
  reasoning_effort: honored(
    '"none" turns thinking off in the chat template (enable_thinking: false), any other effort on; low, medium and high also set reasoning_effort for templates that read it (gpt-oss)',
    STRING,
  ),
  response_format: honored(
    'json_object and json_schema (strict or not) constrain decoding on the engine; text is the default',
    OBJECT,
  ),
  safety_identifier: SHARED_FIELDS.caller_id,
  seed: honored('Sent to the engine (SGLang sampling_seed, vLLM seed)', SEED),
  service_tier: SHARED_FIELDS.service_tier,
  stop: SHARED_FIELDS.stop,
  store: honored('false: the turn is not recorded (nothing to reward or export, nothing to continue from)', BOOLEAN),
  stream: SHARED_FIELDS.stream,
  stream_options: honored('include_usage adds the usage chunk; include_obfuscation is accepted without effect', OBJECT),
  temperature: honored('Sent to the engine; 0 is greedy (absent or null: 1.0, as the reference)', CHAT_TEMPERATURE),
  tool_choice: honored(
    'none: no tool calls parsed; auto; required or a named function: decoding constrained to the model’s tool-call format',
  ),
  tools: honored('Function tools are rendered by the chat template and the answer is parsed for their calls', ARRAY),
  top_logprobs: honored(
    'Alternatives per answer token in `logprobs.content[].top_logprobs` (needs logprobs: true)',
    TOP_LOGPROBS,
  ),
  top_p: honored('Sent to the engine (0 means 1.0, as the reference)', TOP_P),
  user: SHARED_FIELDS.caller_id,
  verbosity: refused('Not supported: nothing here sets the length of the answer'),
  web_search_options: refused('No web search here'),
} satisfies Record<keyof ChatCompletionCreateParamsBase, FieldHandling>;

/** Fields the openai SDK does not declare that the engines' OpenAI servers (or AReaL) take. */
const CHAT_EXTENSIONS = {
  chat_template_kwargs: honored('Passed to the chat template (e.g. enable_thinking), as vLLM and SGLang do', OBJECT),
  extra_body: honored(
    'AReaL’s literal key: its chat_template_kwargs are used; any other key inside is refused',
    OBJECT,
  ),
  max_total_tokens: honored('AReaL: caps prompt + completion tokens', AT_LEAST_ONE),
  ...ENGINE_GENERATION_EXTENSIONS,
  skip_special_tokens: honored(
    'true: special tokens are left out of the answer’s text (tokens and log-probs are recorded unchanged); default false, as the reference',
    BOOLEAN,
  ),
  return_token_ids: SHARED_FIELDS.return_token_ids,
  structured_outputs: honored(
    'vLLM: json, regex, grammar (EBNF), choice, json_object or structural_tag constrain decoding',
    OBJECT,
  ),
  guided_json: honored('Older vLLM: a JSON schema constrains decoding'),
  guided_regex: honored('Older vLLM: a regular expression constrains decoding', { type: 'string', maxLength: 65536 }),
  guided_grammar: honored('Older vLLM: an EBNF grammar constrains decoding', { type: 'string', maxLength: 65536 }),
  guided_choice: honored('Older vLLM: the answer is one of these strings', ARRAY),
  regex: honored('SGLang: a regular expression constrains decoding', { type: 'string', maxLength: 65536 }),
  ebnf: honored('SGLang: an EBNF grammar constrains decoding', { type: 'string', maxLength: 65536 }),
  structural_tag: honored('SGLang: a structural tag constrains decoding'),
};

/** Message roles of the SDK's `ChatCompletionMessageParam`. */
const CHAT_ROLES = {
  system: SHARED_VALUES.templated_role,
  developer: honored(
    'Rendered as a system message when the chat template has no developer role (OpenAI’s meaning of it)',
  ),
  user: SHARED_VALUES.templated_role,
  assistant: honored(
    'Earlier answers: content (null as ""), tool_calls (arguments decoded for the template), reasoning_content; refusal and audio: null are dropped',
  ),
  tool: honored('Tool results, rendered by the chat template (text parts joined)'),
  function: refused('Deprecated by OpenAI and not supported: send tool messages'),
} satisfies Record<ChatCompletionMessageParam['role'], FieldHandling>;

/** Content part types of user, system, developer, tool and assistant messages. */
const CHAT_CONTENT_PARTS = {
  text: honored('Joined with "\\n" into the message text, as vLLM does'),
  refusal: honored('Assistant messages: joined into the text, as vLLM does'),
  image_url: SHARED_VALUES.image,
  input_audio: SHARED_VALUES.audio,
  file: SHARED_VALUES.file,
} satisfies Record<ChatCompletionContentPart['type'] | ChatCompletionContentPartRefusal['type'], FieldHandling>;

const CHAT_TOOL_TYPES = {
  function: SHARED_VALUES.function_tool,
  custom: refused('Custom (free-form) tools are not supported: use function tools'),
} satisfies Record<ChatCompletionTool['type'], FieldHandling>;

type ToolChoiceKind =
  Extract<ChatCompletionToolChoiceOption, string> | Exclude<ChatCompletionToolChoiceOption, string>['type'];

const CHAT_TOOL_CHOICES = {
  none: honored('The answer is not parsed for tool calls (the tools are still rendered)'),
  auto: honored('The model decides; its calls are parsed'),
  required: honored('Decoding is constrained to one or more calls of the given tools in the model’s tool-call format'),
  function: honored('Decoding is constrained to one call of the named function'),
  allowed_tools: SHARED_VALUES.allowed_tools,
  custom: SHARED_VALUES.custom_tool_choice,
} satisfies Record<ToolChoiceKind, FieldHandling>;

const CHAT_RESPONSE_FORMATS = {
  ...TEXT_AND_JSON_OBJECT_FORMATS,
  json_schema: honored(
    'Decoding constrained to the schema (strict or not); the answer parses and validates against it',
  ),
} satisfies Record<(ResponseFormatText | ResponseFormatJSONSchema | ResponseFormatJSONObject)['type'], FieldHandling>;

/** `/v1/chat/completions`: its fields, the engine extensions it takes, and its value tables. */
export const CHAT_SURFACE = requestSurface<ChatCompletionCreateParamsBase>()({
  api: 'Chat completions (`/v1/chat/completions`)',
  fields: CHAT_FIELDS,
  extensions: CHAT_EXTENSIONS,
  kinds: {
    'message role': CHAT_ROLES,
    'content part type': CHAT_CONTENT_PARTS,
    'tool type': CHAT_TOOL_TYPES,
    tool_choice: CHAT_TOOL_CHOICES,
    'response_format type': CHAT_RESPONSE_FORMATS,
  },
});
