import { fieldReaders, isJsonObject } from '@app/common';
import { badRequest, parseChatRequest, type ChatRequest } from '../chat/chat-request.js';
import { joinLeadingThink } from '../chat/leading-think.js';

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
}

const fields = fieldReaders(badRequest);
const ROLES = new Set(['user', 'system', 'developer', 'assistant']);
const TEXT_PARTS = new Set(['input_text', 'output_text', 'text']);
/** Request fields with no equivalent here: refused, so an agent never silently gets something else. */
const UNSUPPORTED = ['background', 'conversation', 'prompt'] as const;

/**
 * Converts a Responses request into the chat pipeline's request: `instructions` becomes the
 * system message, `history` (the conversation of `previous_response_id`, already resolved in the
 * session) comes next, then the `input` items as chat messages; function tools become chat tools.
 * Everything the chat parser checks (sampling ranges, message shapes) it still checks.
 */
export function parseResponsesRequest(body: unknown, history: readonly unknown[] = []): ResponsesRequest {
  const request = fields.object(body, 'The request body');
  for (const field of UNSUPPORTED)
    if (request[field] !== undefined && request[field] !== null && request[field] !== false)
      throw badRequest(`${field} is not supported by this server`);
  const instructions = fields.string(request, 'instructions', 1 << 20) ?? null;
  const format = isJsonObject(request.text) && isJsonObject(request.text.format) ? request.text.format.type : 'text';
  if (format !== 'text') throw badRequest('text.format: only "text" is supported (no structured outputs)');
  const maxOutputTokens = fields.integer(request, 'max_output_tokens', { min: 1 }) ?? null;
  const temperature = fields.number(request, 'temperature', { min: 0, max: 2 }) ?? null;
  const topP = fields.number(request, 'top_p', { min: 0, max: 1 }) ?? null;
  const metadata = request.metadata ?? {};
  if (!isJsonObject(metadata)) throw badRequest('metadata must be an object');
  const tools = responsesTools(request.tools);
  const store = fields.boolean(request, 'store') ?? true;

  const messages: unknown[] = [];
  // New instructions replace the resumed conversation's own (OpenAI does not carry earlier
  // instructions over); an agent that sends the same ones every turn continues its recorded turns.
  const resumed =
    instructions !== null && isJsonObject(history[0]) && history[0].role === 'system' ? history.slice(1) : history;
  if (instructions !== null) messages.push({ role: 'system', content: instructions });
  messages.push(...resumed, ...inputMessages(request.input));

  const templateKwargs = isJsonObject(request.chat_template_kwargs) ? { ...request.chat_template_kwargs } : {};
  const effort = isJsonObject(request.reasoning) ? request.reasoning.effort : undefined;
  if (effort === 'none') templateKwargs.enable_thinking = false;
  else if (typeof effort === 'string') templateKwargs.enable_thinking = true;

  const chat = parseChatRequest({
    model: request.model,
    messages,
    tools: tools.length > 0 ? tools.map(asChatTool) : null,
    tool_choice: chatToolChoice(request.tool_choice),
    max_completion_tokens: maxOutputTokens,
    temperature,
    top_p: topP,
    top_k: request.top_k,
    seed: request.seed,
    stream: request.stream,
    store,
    chat_template_kwargs: templateKwargs,
  });
  const previousResponseId = fields.string(request, 'previous_response_id', 256) ?? null;
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
      parallel_tool_calls: fields.boolean(request, 'parallel_tool_calls') ?? true,
    },
  };
}

/** `previous_response_id` as given (read before the whole request is parsed, to resolve its history). */
export function previousResponseIdOf(body: unknown): string | null {
  return isJsonObject(body) && typeof body.previous_response_id === 'string' ? body.previous_response_id : null;
}

/** Function tools only (`{type: "function", name, parameters}`); hosted tools cannot run here. */
function responsesTools(value: unknown): Record<string, unknown>[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badRequest('tools must be a list');
  return value.map((tool, i) => {
    if (!isJsonObject(tool) || tool.type !== 'function' || typeof tool.name !== 'string')
      throw badRequest(`tools[${i}] must be {"type": "function", "name": ...} (only function tools are supported)`);
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
  if (isJsonObject(choice) && choice.type === 'function') return { type: 'function', function: { name: choice.name } };
  return choice;
}

/**
 * Input items as chat messages. A `reasoning` item and the `function_call` items after an
 * assistant message belong to that message (one assistant turn), exactly as the answer was
 * recorded, so an agent that sends its output items back continues its recorded turn.
 */
export function inputMessages(input: unknown): Record<string, unknown>[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  if (!Array.isArray(input)) throw badRequest('input is required: a string or a list of items');
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
  input.forEach((item: unknown, i) => {
    if (!isJsonObject(item)) throw badRequest(`input[${i}] must be an object`);
    const type: unknown = item.type ?? (item.role !== undefined ? 'message' : null);
    switch (type) {
      case 'message': {
        if (typeof item.role !== 'string' || !ROLES.has(item.role))
          throw badRequest(`input[${i}].role must be one of ${[...ROLES].join(', ')}`);
        const text = contentText(item.content, `input[${i}].content`);
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
        openTurn().reasoning = reasoningText(item);
        return;
      }
      case 'function_call': {
        if (typeof item.call_id !== 'string' || typeof item.name !== 'string' || typeof item.arguments !== 'string')
          throw badRequest(`input[${i}]: a function_call needs call_id, name and arguments (strings)`);
        openTurn().calls.push({
          id: item.call_id,
          function: { arguments: item.arguments, name: item.name },
          type: 'function',
        });
        return;
      }
      case 'function_call_output': {
        if (typeof item.call_id !== 'string') throw badRequest(`input[${i}].call_id must be a string`);
        closeTurn();
        const output = typeof item.output === 'string' ? item.output : contentText(item.output, `input[${i}].output`);
        messages.push({ role: 'tool', tool_call_id: item.call_id, content: output });
        return;
      }
      default:
        throw badRequest(
          `input[${i}].type ${JSON.stringify(type ?? null)} is not supported (message, reasoning, function_call, function_call_output)`,
        );
    }
  });
  closeTurn();
  return messages;
}

/** A message's text: a string, or text parts joined (images and files cannot be templated here). */
function contentText(content: unknown, name: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw badRequest(`${name} must be a string or a list of parts`);
  let text = '';
  content.forEach((part: unknown, j) => {
    if (
      !isJsonObject(part) ||
      typeof part.type !== 'string' ||
      !TEXT_PARTS.has(part.type) ||
      typeof part.text !== 'string'
    )
      throw badRequest(
        `${name}[${j}] must be a text part (input_text or output_text); images and files are not supported`,
      );
    text += part.text;
  });
  return text;
}

/** A reasoning item's text: its `reasoning_text` content (what was generated), else its summary. */
function reasoningText(item: Record<string, unknown>): string {
  const parts = Array.isArray(item.content) && item.content.length > 0 ? item.content : item.summary;
  if (!Array.isArray(parts)) return '';
  return parts.map((part: unknown) => (isJsonObject(part) && typeof part.text === 'string' ? part.text : '')).join('');
}
