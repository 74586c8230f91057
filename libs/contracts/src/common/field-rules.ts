import { honored, ignored, refused } from './field-handling.js';

/**
 * What the agent APIs' handling tables share: the value rules of fields that mean the same in
 * every API, the entries that several APIs declare with the same meaning (each table takes them
 * from here, so that one wording and one rule serve every API that has them) and the engine
 * sampling parameters every API takes beside its SDK's own. Entries that read alike but mean
 * something else in each API stay in their own table. (The ranges only Chat and the APIs modelled
 * on it use stay beside the chat table, which defines them.)
 */

export const BOOLEAN = { type: 'boolean' } as const;
export const OBJECT = { type: 'object' } as const;
export const ARRAY = { type: 'array' } as const;
/** A name or identifier field (model, user, metadata values). */
export const STRING = { type: 'string', maxLength: 4096 } as const;
export const SEED = { type: 'integer', min: 0 } as const;
/** Nucleus sampling's probability mass, in every API that takes it. */
export const TOP_P = { type: 'number', min: 0, max: 1 } as const;
/** OpenAI's frequency and presence penalties. */
export const PENALTY = { type: 'number', min: -2, max: 2 } as const;

export const TEXT_ONLY = 'this model takes text only';

/**
 * Fields that several APIs declare and that mean the same in each: a table takes the ones it has
 * (`caller_id` under the name each API gives its caller's identifier).
 */
export const SHARED_FIELDS = {
  /** Messages and legacy completions. */
  model: honored('Routes the request and is echoed in the answer', STRING),
  top_p: honored('Sent to the engine', TOP_P),
  seed: honored('Sent to the engine', SEED),
  /** Chat and legacy completions. */
  frequency_penalty: honored('Sent to the engine', PENALTY),
  presence_penalty: honored('Sent to the engine', PENALTY),
  logit_bias: refused('Not supported: the engine request carries no logit bias'),
  stop: honored('Stop strings (at most 16); the answer is cut before the matched one'),
  stream: honored('Server-sent events as tokens arrive', BOOLEAN),
  return_token_ids: honored(
    'vLLM: the answer carries prompt_token_ids and choices[].token_ids, the recorded ids',
    BOOLEAN,
  ),
  /** Messages and legacy completions (Chat and Responses say what else it stops). */
  store: honored('false: the turn is not recorded', BOOLEAN),
  /** `user`, `safety_identifier`, `user_profile_id`. */
  caller_id: ignored('Accepted and not stored', STRING),
  service_tier: ignored('One tier here'),
  /** Chat and Responses. */
  moderation: refused('No moderation runs here'),
  /** Messages and Responses (Chat's note adds the engines that take it). */
  chat_template_kwargs: honored('Passed to the chat template (e.g. enable_thinking)', OBJECT),
};

/** OpenAI's prompt caching fields (Chat and Responses): the engine's prefix cache needs none of them. */
export const PROMPT_CACHE_FIELDS = {
  prompt_cache_key: ignored('The engine’s prefix cache needs no key', { type: 'string', maxLength: 1024 }),
  prompt_cache_options: ignored('The engine’s prefix cache needs no options'),
  prompt_cache_retention: ignored('The engine’s prefix cache keeps what fits'),
};

/**
 * Values of the kinds tables (content types, roles, tool types and choices) that mean the same in
 * several APIs, whatever each calls them.
 */
export const SHARED_VALUES = {
  /** Text content, joined into the text of the message (or tool message) that carries it. */
  text: honored('Joined into the message text'),
  tool_result_text: honored('Joined into the tool message'),
  /** Non-text input, refused alike in every API. */
  image: refused(`Images are not supported: ${TEXT_ONLY}`),
  document: refused(`Documents are not supported: ${TEXT_ONLY}`),
  file: refused(`Files are not supported: ${TEXT_ONLY}`),
  audio: refused(`Audio is not supported: ${TEXT_ONLY}`),
  /** OpenAI's system and user roles (Chat and Responses). */
  templated_role: honored('Rendered by the chat template'),
  /** A function tool (Chat and Responses). */
  function_tool: honored('Rendered by the chat template; calls parsed from the model’s tool-call format'),
  /** Tool choices of Messages and Responses; `one_or_more_calls` is Anthropic's `any`, OpenAI's `required`. */
  auto_tool_choice: honored('The model decides'),
  no_tool_choice: honored('No tool calls parsed'),
  one_or_more_calls: honored('Decoding constrained to one or more calls of the given tools'),
  /** OpenAI's tool choices (Chat and Responses). */
  allowed_tools: refused('Not supported: send the allowed tools as tools'),
  custom_tool_choice: refused('Custom tools are not supported'),
};

/** The output formats that mean the same in Chat's `response_format` and Responses' `text.format` (json_schema differs). */
export const TEXT_AND_JSON_OBJECT_FORMATS = {
  text: honored('The default'),
  json_object: honored('Decoding constrained to a JSON object'),
};

/** SGLang's and vLLM's sampling parameters that no official SDK declares; every agent API takes them. */
export const ENGINE_SAMPLING_EXTENSIONS = {
  /** -1 or 0 mean "no limit" (vLLM's and SGLang's spellings of it). */
  top_k: honored('Sent to the engine (-1 or 0: no limit)', { type: 'integer', min: -1 }),
  min_p: honored('Sent to the engine', { type: 'number', min: 0, max: 1 }),
  repetition_penalty: honored('Sent to the engine (1: none)', { type: 'number', min: 0.01, max: 10 }),
};

/** The engine parameters Chat and legacy completions take: the sampling extensions, and ignore_eos. */
export const ENGINE_GENERATION_EXTENSIONS = {
  ...ENGINE_SAMPLING_EXTENSIONS,
  ignore_eos: honored('Sent to the engine: generation runs to the token budget', BOOLEAN),
};
