import { AppException, ErrorCode, isJsonObject } from '@app/common';
import { RESPONSES_SURFACE, type HandlingTable } from '@app/contracts';
import { applyReasoningEffort, parseChatRequest, type ChatRequest } from '../chat/chat-request.js';
import { joinLeadingThink } from '../chat/leading-think.js';
import { badRequest, checkKind, checkRequestFields, checkValue } from '../chat/request-surface.js';

/** A validated `/v1/responses` request: the internal request, and what the response object repeats. */
export interface ResponsesRequest {
  chat: ChatRequest;
  previousResponseId: string | null;
  /** Request fields the `response` object echoes (OpenAI repeats the settings it ran with). */
  echo: ResponseEcho;
}

export interface ResponseEcho {
  instructions: string | null;
  tools: unknown[];
  tool_choice: unknown;
  temperature: number | null;
  top_p: number | null;
  max_output_tokens: number | null;
  metadata: Record<string, unknown>;
  store: boolean;
  previous_response_id: string | null;
  parallel_tool_calls: boolean;
  text: { format: unknown };
  top_logprobs: number;
}

const {
  'input item type': ITEM_TYPES,
  'message role': ROLES,
  'content type': CONTENT_TYPES,
  'function_call_output part type': OUTPUT_PARTS,
  'tool type': TOOL_TYPES,
  tool_choice: TOOL_CHOICES,
  include: INCLUDABLES,
  'text key': TEXT_KEYS,
  'reasoning key': REASONING_KEYS,
} = RESPONSES_SURFACE.kinds;

/** The output item an `item_reference` names, from the caller's recorded responses (404 when none). */
export type ItemResolver = (id: string, where: string) => Record<string, unknown>;

/** The 404 of an item reference that names nothing the caller may see. */
export function itemNotFound(id: string, where: string): AppException {
  return new AppException(404, ErrorCode.ITEM_NOT_FOUND, `Item with id '${id}' not found.`, { param: where });
}

const NO_ITEMS: ItemResolver = (id, where) => {
  throw itemNotFound(id, where);
};

/**
 * Converts a Responses request into the chat pipeline's request: `instructions` becomes the
 * system message, `history` (the conversation of `previous_response_id`, already resolved in the
 * session) comes next, then the `input` items as chat messages (`item_reference`s resolved by
 * `resolveItem`); function tools become chat tools, `text.format` the response format. Every field
 * is checked against the Responses handling table first; the chat parser then checks the result.
 */
export function parseResponsesRequest(
  body: unknown,
  history: readonly unknown[] = [],
  resolveItem: ItemResolver = NO_ITEMS,
): ResponsesRequest {
  if (!isJsonObject(body)) throw badRequest('The request body must be a JSON object');
  checkRequestFields(body, RESPONSES_SURFACE);
  const request = body;
  const instructions = (request.instructions as string | null | undefined) ?? null;
  const maxOutputTokens = (request.max_output_tokens as number | null | undefined) ?? null;
  const temperature = (request.temperature as number | null | undefined) ?? null;
  const topP = (request.top_p as number | null | undefined) ?? null;
  const metadata = (request.metadata as Record<string, unknown> | null | undefined) ?? {};
  const tools = responsesTools(request.tools);
  const store = request.store !== false;

  const messages: unknown[] = [];
  // New instructions replace the resumed conversation's own (OpenAI does not carry earlier
  // instructions over); an agent that sends the same ones every turn continues its recorded turns.
  const resumed =
    instructions !== null && isJsonObject(history[0]) && history[0].role === 'system' ? history.slice(1) : history;
  if (instructions !== null) messages.push({ role: 'system', content: instructions });
  messages.push(...resumed, ...inputMessages(request.input, resolveItem));

  const templateKwargs = isJsonObject(request.chat_template_kwargs) ? { ...request.chat_template_kwargs } : {};
  const reasoning = request.reasoning;
  applyReasoningEffort(templateKwargs, isJsonObject(reasoning) ? reasoning.effort : undefined);

  const text = request.text;
  checkKeys(text, 'text', TEXT_KEYS);
  checkKeys(reasoning, 'reasoning', REASONING_KEYS);
  const logprobs = includesLogprobs(request.include);
  const topLogprobs = (request.top_logprobs as number | null | undefined) ?? null;

  const chat = parseChatRequest({
    model: request.model,
    messages,
    tools: tools.length > 0 ? tools.map(asChatTool) : null,
    tool_choice: chatToolChoice(request.tool_choice),
    parallel_tool_calls: request.parallel_tool_calls,
    response_format: isJsonObject(text) ? chatResponseFormat(text.format) : undefined,
    max_completion_tokens: maxOutputTokens,
    temperature,
    top_p: topP,
    top_k: request.top_k,
    min_p: request.min_p,
    repetition_penalty: request.repetition_penalty,
    seed: request.seed,
    stream: request.stream,
    store,
    chat_template_kwargs: templateKwargs,
    logprobs: logprobs || undefined,
    top_logprobs: logprobs ? topLogprobs : undefined,
  });
  const previousResponseId = (request.previous_response_id as string | null | undefined) ?? null;
  return {
    chat,
    previousResponseId,
    echo: {
      instructions,
      tools,
      tool_choice: request.tool_choice ?? 'auto',
      temperature,
      top_p: topP,
      max_output_tokens: maxOutputTokens,
      metadata,
      store,
      previous_response_id: previousResponseId,
      parallel_tool_calls: request.parallel_tool_calls !== false,
      text: isJsonObject(text) && isJsonObject(text.format) ? { format: text.format } : { format: { type: 'text' } },
      top_logprobs: topLogprobs ?? 0,
    },
  };
}

/**
 * An object field's keys against their table (the SDK type's keys): an unknown key is refused as
 * an unknown field is, so that no nested setting is ignored silently; a present value gets its
 * key's handling (refused unless allowed).
 */
function checkKeys(value: unknown, field: string, keys: HandlingTable): void {
  if (!isJsonObject(value)) return;
  for (const key in value) {
    const entry = Object.prototype.hasOwnProperty.call(keys, key) ? keys[key] : undefined;
    if (entry === undefined)
      throw badRequest(`Unrecognized request argument supplied: ${field}.${key}`, `${field}.${key}`);
    if (value[key] !== null && value[key] !== undefined) checkValue(entry, value[key], `${field}.${key}`);
  }
}

/** Whether `include` asks for the output text's log-probs (every entry is checked against the table). */
function includesLogprobs(include: unknown): boolean {
  if (!Array.isArray(include)) return false;
  let logprobs = false;
  include.forEach((entry: unknown, i) => {
    checkKind(INCLUDABLES, entry, `include[${i}]`, 'includable');
    if (entry === 'message.output_text.logprobs') logprobs = true;
  });
  return logprobs;
}

/** `text.format` in chat's `response_format` spelling (the schema nested under `json_schema`). */
function chatResponseFormat(format: unknown): unknown {
  if (!isJsonObject(format) || format.type !== 'json_schema') return format;
  if (!isJsonObject(format.schema))
    throw badRequest('text.format.schema is required: a JSON schema object', 'text.format.schema');
  return { type: 'json_schema', json_schema: { name: format.name, schema: format.schema, strict: format.strict } };
}

/** `previous_response_id` as given (read before the whole request is parsed, to resolve its history). */
export function previousResponseIdOf(body: unknown): string | null {
  return isJsonObject(body) && typeof body.previous_response_id === 'string' ? body.previous_response_id : null;
}

/** Function tools only (`{type: "function", name, parameters}`); hosted tools cannot run here. */
function responsesTools(value: unknown): Record<string, unknown>[] {
  if (!Array.isArray(value)) return [];
  return value.map((tool: unknown, i) => {
    if (!isJsonObject(tool)) throw badRequest(`tools[${i}] must be an object`, `tools[${i}]`);
    checkKind(TOOL_TYPES, tool.type, `tools[${i}].type`, 'tool type');
    if (typeof tool.name !== 'string')
      throw badRequest(`tools[${i}] must be {"type": "function", "name": ...}`, `tools[${i}].name`);
    return tool;
  });
}

function asChatTool(tool: Record<string, unknown>): Record<string, unknown> {
  const fn: Record<string, unknown> = { name: tool.name };
  if (tool.description !== undefined) fn.description = tool.description;
  if (tool.parameters !== undefined) fn.parameters = tool.parameters;
  return { type: 'function', function: fn };
}

function chatToolChoice(choice: unknown): unknown {
  if (choice === undefined || choice === null) return undefined;
  checkKind(TOOL_CHOICES, isJsonObject(choice) ? choice.type : choice, 'tool_choice', 'tool_choice');
  if (isJsonObject(choice)) return { type: 'function', function: { name: choice.name } };
  return choice;
}

/**
 * Input items as chat messages. A `reasoning` item and the `function_call` items after an
 * assistant message belong to that message (one assistant turn), exactly as the answer was
 * recorded, so an agent that sends its output items back continues its recorded turn. An
 * `item_reference` stands for the recorded item it names.
 */
export function inputMessages(input: unknown, resolveItem: ItemResolver = NO_ITEMS): Record<string, unknown>[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  if (!Array.isArray(input)) throw badRequest('input is required: a string or a list of items', 'input');
  const messages: Record<string, unknown>[] = [];
  // The assistant turn being assembled from consecutive output items.
  let turn: { reasoning: string | null; text: string; calls: Record<string, unknown>[] } | null = null;
  const closeTurn = (): void => {
    if (!turn) return;
    const message: Record<string, unknown> = {
      role: 'assistant',
      content: joinLeadingThink(turn.reasoning, turn.text),
    };
    if (turn.calls.length > 0) message.tool_calls = turn.calls;
    messages.push(message);
    turn = null;
  };
  const openTurn = (): NonNullable<typeof turn> => (turn ??= { reasoning: null, text: '', calls: [] });
  const addItem = (item: Record<string, unknown>, at: string): void => {
    const type: unknown = item.type ?? (item.role !== undefined ? 'message' : 'item_reference');
    checkKind(ITEM_TYPES, type, `${at}.type`, 'input item type');
    switch (type) {
      case 'item_reference': {
        if (typeof item.id !== 'string') throw badRequest(`${at}.id must be a string`, `${at}.id`);
        return addItem(resolveItem(item.id, at), at);
      }
      case 'message': {
        checkKind(ROLES, item.role, `${at}.role`, 'role');
        const text = contentText(item.content, `${at}.content`);
        if (item.role === 'assistant') {
          const current = openTurn();
          if (current.text.length > 0 || current.calls.length > 0) {
            closeTurn();
            openTurn().text = text;
          } else current.text = text;
          return;
        }
        closeTurn();
        messages.push({ role: item.role, content: text });
        return;
      }
      case 'reasoning': {
        closeTurn();
        openTurn().reasoning = reasoningText(item, at);
        return;
      }
      case 'function_call': {
        if (typeof item.call_id !== 'string' || typeof item.name !== 'string' || typeof item.arguments !== 'string')
          throw badRequest(`${at}: a function_call needs call_id, name and arguments (strings)`, at);
        openTurn().calls.push({
          id: item.call_id,
          function: { arguments: item.arguments, name: item.name },
          type: 'function',
        });
        return;
      }
      case 'function_call_output': {
        if (typeof item.call_id !== 'string') throw badRequest(`${at}.call_id must be a string`, `${at}.call_id`);
        closeTurn();
        const output =
          typeof item.output === 'string' ? item.output : contentText(item.output, `${at}.output`, '\n', OUTPUT_PARTS);
        messages.push({ role: 'tool', tool_call_id: item.call_id, content: output });
        return;
      }
    }
  };
  input.forEach((item: unknown, i) => {
    if (!isJsonObject(item)) throw badRequest(`input[${i}] must be an object`, `input[${i}]`);
    addItem(item, `input[${i}]`);
  });
  closeTurn();
  return messages;
}

/**
 * A message's text: a string, or text parts joined ("\n" between message parts, as vLLM joins
 * them; nothing between a reasoning item's parts); images and files cannot be templated here.
 */
function contentText(content: unknown, name: string, separator = '\n', types: HandlingTable = CONTENT_TYPES): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw badRequest(`${name} must be a string or a list of parts`, name);
  let text = '';
  content.forEach((part: unknown, j) => {
    const at = `${name}[${j}]`;
    if (!isJsonObject(part)) throw badRequest(`${at} must be a content part object`, at);
    checkKind(types, part.type, at, 'content type');
    const value = part.type === 'refusal' ? part.refusal : part.text;
    if (typeof value !== 'string') throw badRequest(`${at} must carry its text`, at);
    text = j === 0 ? value : `${text}${separator}${value}`;
  });
  return text;
}

/** A reasoning item's text: its `reasoning_text` content (what was generated), else its summary. */
function reasoningText(item: Record<string, unknown>, at: string): string {
  const useContent = Array.isArray(item.content) && item.content.length > 0;
  const parts = useContent ? item.content : item.summary;
  if (!Array.isArray(parts)) return '';
  return contentText(parts, useContent ? `${at}.content` : `${at}.summary`, '');
}
