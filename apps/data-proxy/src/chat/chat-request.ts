import { AppException, ErrorCode, fieldReaders, isJsonObject } from '@app/common';
import { CHAT_SURFACE } from '@app/contracts';
import { NEUTRAL_SAMPLING, type EngineSampling, type GenerationConstraint } from '../inference/engine-backend.js';
import { normalizeChatMessages } from './chat-messages.js';
import { badRequest, checkKind, checkRequestFields } from './request-surface.js';
import { extensionConstraints, formatConstraint } from './structured-output.js';
import type { ToolChoice } from './tool-choice.js';

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
  /** Chat-format messages, normalised (empty for a raw prompt). */
  messages: Record<string, unknown>[];
  /** Set by `/v1/completions` only: the prompt as given, instead of templated messages. */
  rawPrompt?: RawPrompt;
  tools: Record<string, unknown>[] | null;
  /** Tool-call parsing runs only when tools are given and tool_choice is not "none". */
  parseToolCalls: boolean;
  toolChoice: ToolChoice;
  /** Whether one turn may hold several tool calls (false only where a forced choice makes one call). */
  parallelToolCalls: boolean;
  stream: boolean;
  includeUsage: boolean;
  store: boolean;
  templateKwargs: Record<string, unknown>;
  /** Completion cap from max_completion_tokens / max_tokens, if given. */
  maxCompletionTokens: number | null;
  /** Non-standard cap on prompt + completion. */
  maxTotalTokens: number | null;
  /** The answer carries each token's log-prob with this many alternatives (null: no log-probs in the answer). */
  logprobs: number | null;
  /** The answer carries the prompt and output token ids (vLLM's `return_token_ids`). */
  returnTokenIds: boolean;
  /** The answer's text leaves special tokens out (the recorded tokens are unchanged). */
  skipSpecialTokens: boolean;
  sampling: Omit<EngineSampling, 'stopTokenIds'>;
  /** `/generate` only: the ids that end generation (SGLang's `stop_token_ids`, with the model's EOS unless `ignore_eos`). */
  stopTokenIds?: number[];
}

/** The shared readers, bound to OpenAI's 400 (chat answers in its protocol's status). */
const fields = fieldReaders(badRequest);
const { 'tool type': TOOL_TYPES, tool_choice: TOOL_CHOICES } = CHAT_SURFACE.kinds;

/** A field `checkRequestFields` has already checked against its rule, or null when absent. */
const optionalNumber = (body: Record<string, unknown>, field: string): number | null =>
  (body[field] as number | null | undefined) ?? null;

/**
 * Validates an OpenAI chat request against the chat handling table (every field declared: honored,
 * refused with a 400 naming it, or accepted without effect) and maps it to generation settings;
 * what the reference turned into 500s (empty or malformed messages, n > 1, both max_tokens and
 * max_completion_tokens, wrong types) is a 400 here.
 */
export function parseChatRequest(body: unknown): ChatRequest {
  if (!isJsonObject(body)) throw badRequest('The request body must be a JSON object');
  checkRequestFields(body, CHAT_SURFACE);
  const messages = normalizeChatMessages(body.messages);

  let tools: Record<string, unknown>[] | null = null;
  if (Array.isArray(body.tools)) {
    body.tools.forEach((tool: unknown, i) => {
      if (!isJsonObject(tool)) throw badRequest(`tools[${i}] must be an object`, `tools[${i}]`);
      checkKind(TOOL_TYPES, tool.type ?? 'function', `tools[${i}].type`, 'tool type');
      if (!isJsonObject(tool.function) || typeof tool.function.name !== 'string')
        throw badRequest(`tools[${i}] must be {"type": "function", "function": {"name": ...}}`, `tools[${i}]`);
    });
    tools = body.tools as Record<string, unknown>[];
  }
  const toolChoice = parseToolChoice(body.tool_choice, tools);
  const parallelToolCalls = body.parallel_tool_calls !== false;
  if (!parallelToolCalls && (toolChoice === 'auto' || toolChoice === 'none') && tools !== null && tools.length > 0)
    throw badRequest(
      'parallel_tool_calls: false is honoured only with tool_choice "required" or a named function (decoding then makes exactly one call)',
      'parallel_tool_calls',
    );
  const parseToolCalls = tools !== null && tools.length > 0 && toolChoice !== 'none';

  const maxTokens = optionalNumber(body, 'max_tokens');
  const maxCompletionTokens = optionalNumber(body, 'max_completion_tokens');
  if (maxTokens !== null && maxCompletionTokens !== null) {
    throw badRequest(
      'max_tokens and max_completion_tokens cannot be set at the same time; use max_completion_tokens',
      'max_tokens',
    );
  }

  const stopList = fields.stopStrings(body, 'stop', 16);
  const streamOptions = body.stream_options;

  // Template kwargs: OpenAI SDKs send extra_body fields at the top level (`chat_template_kwargs`);
  // the reference only read a literal `extra_body.chat_template_kwargs`. Both work here.
  const templateKwargs: Record<string, unknown> = {};
  const extraBody = body.extra_body;
  if (isJsonObject(extraBody)) {
    for (const key in extraBody)
      if (key !== 'chat_template_kwargs')
        throw badRequest(`Unrecognized request argument supplied: extra_body.${key}`, `extra_body.${key}`);
    if (extraBody.chat_template_kwargs !== undefined && extraBody.chat_template_kwargs !== null) {
      if (!isJsonObject(extraBody.chat_template_kwargs))
        throw badRequest('extra_body.chat_template_kwargs must be an object', 'extra_body.chat_template_kwargs');
      Object.assign(templateKwargs, extraBody.chat_template_kwargs);
    }
  }
  if (isJsonObject(body.chat_template_kwargs)) Object.assign(templateKwargs, body.chat_template_kwargs);
  applyReasoningEffort(templateKwargs, body.reasoning_effort);

  const logprobs = body.logprobs === true;
  const topLogprobs = optionalNumber(body, 'top_logprobs');
  if (topLogprobs !== null && topLogprobs > 0 && !logprobs)
    throw badRequest('top_logprobs needs logprobs: true', 'top_logprobs');

  const constraint = requestConstraint(body, toolChoice);

  const temperature = optionalNumber(body, 'temperature');
  const topP = optionalNumber(body, 'top_p');
  const topK = optionalNumber(body, 'top_k');
  const seed = optionalNumber(body, 'seed');
  return {
    model: typeof body.model === 'string' ? body.model : null,
    messages,
    tools,
    parseToolCalls,
    toolChoice,
    parallelToolCalls,
    stream: body.stream === true,
    includeUsage: isJsonObject(streamOptions) && streamOptions.include_usage === true,
    store: body.store !== false,
    templateKwargs,
    maxCompletionTokens: maxCompletionTokens ?? maxTokens,
    maxTotalTokens: optionalNumber(body, 'max_total_tokens'),
    logprobs: logprobs ? (topLogprobs ?? 0) : null,
    returnTokenIds: body.return_token_ids === true,
    skipSpecialTokens: body.skip_special_tokens === true,
    sampling: {
      // Absent or null → 1.0 (the reference's default); 0 → greedy.
      temperature: temperature ?? 1.0,
      // The reference turns top_p 0 into 1.0 (falsy); keep that, since 0 would keep nothing.
      topP: topP === null || topP === 0 ? 1.0 : topP,
      topK: topK === null || topK === 0 || topK === -1 ? 100_000_000 : topK,
      stop: stopList,
      frequencyPenalty: optionalNumber(body, 'frequency_penalty') ?? 0,
      // Reaches SGLang as sampling_params.sampling_seed and vLLM as seed.
      seed,
      ignoreEos: body.ignore_eos === true,
      // The engine's own text is never used (the answer is decoded here from the ids).
      skipSpecialTokens: true,
      minP: optionalNumber(body, 'min_p') ?? NEUTRAL_SAMPLING.minP,
      repetitionPenalty: optionalNumber(body, 'repetition_penalty') ?? NEUTRAL_SAMPLING.repetitionPenalty,
      presencePenalty: optionalNumber(body, 'presence_penalty') ?? NEUTRAL_SAMPLING.presencePenalty,
      constraint,
      topLogprobs: logprobs ? (topLogprobs ?? 0) : NEUTRAL_SAMPLING.topLogprobs,
    },
  };
}

/** `tool_choice` in its chat spellings; a named function must be one of the tools. */
/**
 * What a reasoning effort means to the chat templates: "none" turns thinking off and any other
 * effort on (Qwen3's `enable_thinking`), and the efforts gpt-oss's template knows become its
 * `reasoning_effort` (its system message's "Reasoning: high"), unless the caller's own
 * chat_template_kwargs already name one. Other templates ignore the variable.
 */
export function applyReasoningEffort(templateKwargs: Record<string, unknown>, effort: unknown): void {
  if (typeof effort !== 'string') return;
  templateKwargs.enable_thinking = effort !== 'none';
  if (TEMPLATE_REASONING_EFFORTS.has(effort) && templateKwargs.reasoning_effort === undefined)
    templateKwargs.reasoning_effort = effort;
}

/** The efforts gpt-oss's harmony format has (its template renders any string, the model knows these). */
const TEMPLATE_REASONING_EFFORTS = new Set(['low', 'medium', 'high']);

function parseToolChoice(value: unknown, tools: Record<string, unknown>[] | null): ToolChoice {
  if (value === undefined || value === null) return 'auto';
  const kind = isJsonObject(value) ? value.type : value;
  checkKind(TOOL_CHOICES, kind, 'tool_choice', 'tool_choice');
  if (typeof value === 'string') {
    if (value === 'required' && (tools === null || tools.length === 0))
      throw badRequest('tool_choice "required" needs tools', 'tool_choice');
    return value as ToolChoice;
  }
  const fn = (value as Record<string, unknown>).function;
  const name = isJsonObject(fn) ? fn.name : undefined;
  if (typeof name !== 'string')
    throw badRequest('tool_choice must be {"type": "function", "function": {"name": ...}}', 'tool_choice');
  if (!(tools ?? []).some((tool) => (tool.function as { name: string }).name === name))
    throw badRequest(`tool_choice names ${JSON.stringify(name)}, which is not among the tools`, 'tool_choice');
  return { name };
}

/**
 * The one constraint a request may carry: `response_format`, an engine extension, or a forced tool
 * choice (built later, in the model's tool-call format). Two at once cannot both hold: a 400.
 */
function requestConstraint(body: Record<string, unknown>, toolChoice: ToolChoice): GenerationConstraint | null {
  const named: { constraint: GenerationConstraint; field: string }[] = [];
  const format = formatConstraint(body.response_format, 'response_format', 'nested');
  if (format) named.push({ constraint: format, field: 'response_format' });
  if (HAS_EXTENSION_CONSTRAINT.some((field) => body[field] !== undefined && body[field] !== null))
    named.push(...extensionConstraints(body));
  const forced = toolChoice === 'required' || typeof toolChoice === 'object';
  if (named.length + (forced ? 1 : 0) > 1) {
    const fields = [...named.map((n) => n.field), ...(forced ? ['tool_choice'] : [])];
    throw badRequest(`Only one output constraint per request: ${fields.join(', ')} cannot all hold`, fields[0]);
  }
  return named[0]?.constraint ?? null;
}

/** The extension fields that name a constraint (checked first: most requests carry none). */
const HAS_EXTENSION_CONSTRAINT = [
  'structured_outputs',
  'guided_json',
  'guided_regex',
  'guided_grammar',
  'guided_choice',
  'regex',
  'ebnf',
  'structural_tag',
] as const;

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

/**
 * Removes null-valued keys recursively (as the reference does): what an external model is sent.
 * Served turns use `normalizeChatMessages`, which also makes every message renderable.
 */
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
