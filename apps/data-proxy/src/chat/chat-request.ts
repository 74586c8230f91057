import { AppException, ErrorCode, fieldReaders, isJsonObject, type NumberLimits } from '@app/common';
import { NEUTRAL_SAMPLING, type EngineSampling } from '../inference/engine-backend.js';

/**
 * A raw prompt (`/v1/completions`): text to tokenize as it is, or token ids; never templated.
 */
export type RawPrompt = { text: string } | { ids: number[] };

/**
 * The data proxy's internal request: a validated `/chat/completions` request reduced to what the
 * data proxy acts on. The Responses, Messages and completions APIs convert into it, so every API
 * goes through the one pipeline (template, tokenizer, InfBridge, versions, recording).
 */
export interface ChatRequest {
  model: string | null;
  /** Chat-format messages (empty for a raw prompt). */
  messages: Record<string, unknown>[];
  /** Set by `/v1/completions` only: the prompt as given, instead of templated messages. */
  rawPrompt?: RawPrompt;
  tools: Record<string, unknown>[] | null;
  /** Tool-call parsing runs only when tools are given and tool_choice is not "none". */
  parseToolCalls: boolean;
  stream: boolean;
  includeUsage: boolean;
  store: boolean;
  templateKwargs: Record<string, unknown>;
  /** Completion cap from max_completion_tokens / max_tokens, if given. */
  maxCompletionTokens: number | null;
  /** Non-standard cap on prompt + completion. */
  maxTotalTokens: number | null;
  sampling: Omit<EngineSampling, 'stopTokenIds'>;
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

export function badRequest(message: string): AppException {
  return new AppException(400, ErrorCode.BAD_REQUEST, message);
}

/** The shared readers, bound to OpenAI's 400 (chat answers in its protocol's status). */
const fields = fieldReaders(badRequest);

/** Limits as constants: nothing is allocated per request. */
const TEMPERATURE = { min: 0, max: 100 };
const TOP_P = { min: 0, max: 1 };
const FREQUENCY_PENALTY = { min: -2, max: 2 };
const AT_LEAST_ONE = { min: 1 };
const AT_LEAST_ZERO = { min: 0 };
const TOP_K = { min: -1 };

const optionalNumber = (body: Record<string, unknown>, field: string, limits: NumberLimits): number | null =>
  fields.number(body, field, limits) ?? null;

const optionalInteger = (body: Record<string, unknown>, field: string, limits: NumberLimits): number | null =>
  fields.integer(body, field, limits) ?? null;

/** `seed`: a non-negative integer that fits both engines (vLLM takes int64, SGLang a Python int). */
function optionalSeed(body: Record<string, unknown>): number | null {
  const seed = optionalInteger(body, 'seed', AT_LEAST_ZERO);
  if (seed !== null && !Number.isSafeInteger(seed)) throw badRequest('seed must be an integer below 2^53');
  return seed;
}

const optionalBoolean = (body: Record<string, unknown>, field: string): boolean | null =>
  fields.boolean(body, field) ?? null;

/**
 * Validates an OpenAI chat request and maps it to generation settings (the reference's accepted fields, with its 500s turned into 400s), answering
 * 400 for what the reference turned into 500s: empty or malformed messages, unknown roles,
 * n > 1, both max_tokens and max_completion_tokens, wrong types.
 */
export function parseChatRequest(body: unknown): ChatRequest {
  if (!isJsonObject(body)) throw badRequest('The request body must be a JSON object');
  const messages = body.messages;
  if (!Array.isArray(messages)) throw badRequest('messages is required and must be a list');
  if (messages.length === 0) throw badRequest('messages cannot be empty');
  messages.forEach((message, i) => {
    if (!isJsonObject(message)) throw badRequest(`messages[${i}] must be an object`);
    if (typeof message.role !== 'string' || !ROLES.has(message.role)) {
      throw badRequest(`messages[${i}].role must be one of ${[...ROLES].join(', ')}`);
    }
    const content = message.content;
    if (content !== undefined && content !== null && typeof content !== 'string' && !Array.isArray(content)) {
      throw badRequest(`messages[${i}].content must be a string or a list of parts`);
    }
    if (Array.isArray(content) && content.some((part) => !isJsonObject(part))) {
      throw badRequest(`messages[${i}].content parts must be objects`);
    }
    if (message.tool_calls !== undefined && message.tool_calls !== null && !Array.isArray(message.tool_calls)) {
      throw badRequest(`messages[${i}].tool_calls must be a list`);
    }
  });
  const n = optionalInteger(body, 'n', AT_LEAST_ONE);
  if (n !== null && n !== 1) throw badRequest('n > 1 is not supported: ask for one completion per request');
  if (body.model !== undefined && body.model !== null && typeof body.model !== 'string')
    throw badRequest('model must be a string');

  let tools: Record<string, unknown>[] | null = null;
  if (body.tools !== undefined && body.tools !== null) {
    if (!Array.isArray(body.tools)) throw badRequest('tools must be a list');
    body.tools.forEach((tool, i) => {
      if (!isJsonObject(tool) || !isJsonObject(tool.function) || typeof tool.function.name !== 'string') {
        throw badRequest(`tools[${i}] must be {"type": "function", "function": {"name": ...}}`);
      }
    });
    tools = body.tools as Record<string, unknown>[];
  }
  const toolChoice = body.tool_choice;
  const parseToolCalls = tools !== null && tools.length > 0 && toolChoice !== 'none';

  const maxTokens = optionalInteger(body, 'max_tokens', AT_LEAST_ONE);
  const maxCompletionTokens = optionalInteger(body, 'max_completion_tokens', AT_LEAST_ONE);
  if (maxTokens !== null && maxCompletionTokens !== null) {
    throw badRequest('max_tokens and max_completion_tokens cannot be set at the same time; use max_completion_tokens');
  }

  const stopList = fields.stopStrings(body, 'stop', 16);

  const stream = optionalBoolean(body, 'stream') ?? false;
  const streamOptions = body.stream_options;
  if (streamOptions !== undefined && streamOptions !== null && !isJsonObject(streamOptions))
    throw badRequest('stream_options must be an object');

  // Template kwargs: OpenAI SDKs send extra_body fields at the top level (`chat_template_kwargs`);
  // the reference only read a literal `extra_body.chat_template_kwargs`. Both work here.
  const templateKwargs: Record<string, unknown> = {};
  const extraBody = body.extra_body;
  if (isJsonObject(extraBody) && isJsonObject(extraBody.chat_template_kwargs))
    Object.assign(templateKwargs, extraBody.chat_template_kwargs);
  if (body.chat_template_kwargs !== undefined && body.chat_template_kwargs !== null) {
    if (!isJsonObject(body.chat_template_kwargs)) throw badRequest('chat_template_kwargs must be an object');
    Object.assign(templateKwargs, body.chat_template_kwargs);
  }

  const temperature = optionalNumber(body, 'temperature', TEMPERATURE);
  const topP = optionalNumber(body, 'top_p', TOP_P);
  const topK = optionalInteger(body, 'top_k', TOP_K);
  return {
    model: typeof body.model === 'string' ? body.model : null,
    messages: messages as Record<string, unknown>[],
    tools,
    parseToolCalls,
    stream,
    includeUsage: isJsonObject(streamOptions) && streamOptions.include_usage === true,
    store: optionalBoolean(body, 'store') ?? true,
    templateKwargs,
    maxCompletionTokens: maxCompletionTokens ?? maxTokens,
    maxTotalTokens: optionalInteger(body, 'max_total_tokens', AT_LEAST_ONE),
    sampling: {
      // Absent or null → 1.0 (the reference's default); 0 → greedy.
      temperature: temperature ?? 1.0,
      // The reference turns top_p 0 into 1.0 (falsy); keep that, since 0 would keep nothing.
      topP: topP === null || topP === 0 ? 1.0 : topP,
      topK: topK === null || topK === 0 || topK === -1 ? 100_000_000 : topK,
      stop: stopList,
      frequencyPenalty: optionalNumber(body, 'frequency_penalty', FREQUENCY_PENALTY) ?? 0,
      // Reaches SGLang as sampling_params.sampling_seed and vLLM as seed.
      seed: optionalSeed(body),
      ignoreEos: false,
      skipSpecialTokens: true,
      ...NEUTRAL_SAMPLING,
    },
  };
}

/**
 * AReaL 2.0 (#1463): the template sees tool-call `arguments` given as JSON strings decoded into
 * values, so a template that renders them as a mapping (`| tojson`) gives the same prompt tokens
 * as AReaL. Undecodable strings and everything else stay as they are; the stored messages keep
 * the strings. Returns the input itself when nothing changes (the common case costs nothing).
 */
export function decodeToolCallArguments(messages: unknown[]): unknown[] {
  let changed = false;
  const out = messages.map((message) => {
    if (!isJsonObject(message) || !Array.isArray(message.tool_calls) || message.tool_calls.length === 0) return message;
    const calls = message.tool_calls.map((call: unknown) => {
      if (!isJsonObject(call) || !isJsonObject(call.function) || typeof call.function.arguments !== 'string')
        return call;
      let decoded: unknown;
      try {
        decoded = JSON.parse(call.function.arguments);
      } catch {
        return call;
      }
      changed = true;
      return { ...call, function: { ...call.function, arguments: decoded } };
    });
    return { ...message, tool_calls: calls };
  });
  return changed ? out : messages;
}

/** Removes null-valued keys recursively (as the reference does): what is templated, recorded and compared. */
export function normalizeMessages(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalizeMessages);
  if (isJsonObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (item !== null) out[key] = normalizeMessages(item);
    return out;
  }
  return value;
}

/**
 * The completion budget, with the reference's defects fixed: a prompt that leaves no room is a 400,
 * and the engine's context length comes from configuration instead of a hidden 32768.
 */
export function completionBudget(
  promptLength: number,
  request: Pick<ChatRequest, 'maxCompletionTokens' | 'maxTotalTokens'>,
  limits: { engineMaxTokens?: number; contextLength: number; defaultMaxTokens: number },
): number {
  let total = request.maxTotalTokens ?? undefined;
  if (limits.engineMaxTokens !== undefined)
    total = total === undefined ? limits.engineMaxTokens : Math.min(total, limits.engineMaxTokens);
  total = total === undefined ? limits.contextLength : Math.min(total, limits.contextLength);
  const room = total - promptLength;
  if (room <= 0) {
    throw new AppException(
      400,
      ErrorCode.PROMPT_TOO_LONG,
      `The prompt has ${promptLength} tokens, which leaves no room for a completion within ${total} tokens`,
    );
  }
  return Math.min(room, request.maxCompletionTokens ?? limits.defaultMaxTokens);
}
