import { fieldReaders, isJsonObject } from '@app/common';
import { badRequest, parseChatRequest, type ChatRequest } from '../chat/chat-request.js';
import { joinLeadingThink } from '../chat/leading-think.js';
import { pythonJsonDumps } from '../chat/output-parser.js';

const fields = fieldReaders(badRequest);
const ROLES = new Set(['user', 'assistant']);

/**
 * Converts an Anthropic Messages request into the chat pipeline's request: `system` becomes the
 * system message, content blocks become chat messages (`tool_result` → tool messages, `tool_use` →
 * tool calls, `thinking` → the leading think block), tools with `input_schema` become chat tools.
 * `max_tokens` is required, as Anthropic requires it. `forCounting` (count_tokens) skips the
 * generation-only fields.
 */
export function parseMessagesRequest(body: unknown, forCounting = false): ChatRequest {
  const request = fields.object(body, 'The request body');
  let maxTokens: number | undefined;
  if (!forCounting) {
    maxTokens = fields.integer(request, 'max_tokens', { min: 1 });
    if (maxTokens === undefined) throw badRequest('max_tokens is required');
  }
  const messages: Record<string, unknown>[] = [];
  const system = systemText(request.system);
  if (system !== null) messages.push({ role: 'system', content: system });
  if (!Array.isArray(request.messages) || request.messages.length === 0)
    throw badRequest('messages is required and must be a non-empty list');
  request.messages.forEach((message: unknown, i) => messages.push(...chatMessages(message, i)));

  const templateKwargs = isJsonObject(request.chat_template_kwargs) ? { ...request.chat_template_kwargs } : {};
  if (isJsonObject(request.thinking)) templateKwargs.enable_thinking = request.thinking.type !== 'disabled';
  const tools = anthropicTools(request.tools);
  return parseChatRequest({
    model: request.model,
    messages,
    tools: tools.length > 0 ? tools : null,
    tool_choice: chatToolChoice(request.tool_choice),
    max_completion_tokens: maxTokens,
    stop: forCounting ? undefined : request.stop_sequences,
    temperature: fields.number(request, 'temperature', { min: 0, max: 1 }),
    top_p: request.top_p,
    top_k: request.top_k,
    seed: request.seed,
    stream: forCounting ? false : request.stream,
    store: request.store,
    chat_template_kwargs: templateKwargs,
  });
}

function systemText(system: unknown): string | null {
  if (system === undefined || system === null) return null;
  if (typeof system === 'string') return system;
  if (!Array.isArray(system)) throw badRequest('system must be a string or a list of text blocks');
  return system
    .map((block: unknown, i) => {
      if (!isJsonObject(block) || block.type !== 'text' || typeof block.text !== 'string')
        throw badRequest(`system[${i}] must be a text block`);
      return block.text;
    })
    .join('');
}

/** One Anthropic message as chat messages: a user turn's tool results come first, each as a tool message. */
function chatMessages(message: unknown, i: number): Record<string, unknown>[] {
  if (!isJsonObject(message) || typeof message.role !== 'string' || !ROLES.has(message.role))
    throw badRequest(`messages[${i}] must be {"role": "user" | "assistant", "content": ...}`);
  const { role, content } = message;
  if (typeof content === 'string') return [{ role, content }];
  if (!Array.isArray(content)) throw badRequest(`messages[${i}].content must be a string or a list of blocks`);
  const out: Record<string, unknown>[] = [];
  let text = '';
  let reasoning: string | null = null;
  const calls: Record<string, unknown>[] = [];
  content.forEach((block: unknown, j) => {
    const at = `messages[${i}].content[${j}]`;
    if (!isJsonObject(block)) throw badRequest(`${at} must be a content block`);
    switch (role === 'user' ? `user:${String(block.type)}` : `assistant:${String(block.type)}`) {
      case 'user:text':
      case 'assistant:text':
        if (typeof block.text !== 'string') throw badRequest(`${at}.text must be a string`);
        text += block.text;
        return;
      case 'user:tool_result':
        if (typeof block.tool_use_id !== 'string') throw badRequest(`${at}.tool_use_id must be a string`);
        out.push({ role: 'tool', tool_call_id: block.tool_use_id, content: toolResultText(block.content, at) });
        return;
      case 'assistant:thinking':
        if (typeof block.thinking !== 'string') throw badRequest(`${at}.thinking must be a string`);
        reasoning = (reasoning ?? '') + block.thinking;
        return;
      case 'assistant:redacted_thinking':
        return;
      case 'assistant:tool_use':
        if (typeof block.id !== 'string' || typeof block.name !== 'string' || !isJsonObject(block.input))
          throw badRequest(`${at}: a tool_use block needs id, name and an input object`);
        // The arguments as the tool-call parser writes them, so the turn matches what was recorded.
        calls.push({
          id: block.id,
          function: { arguments: pythonJsonDumps(block.input), name: block.name },
          type: 'function',
        });
        return;
      default:
        throw badRequest(`${at}.type ${JSON.stringify(block.type ?? null)} is not supported in a ${role} message`);
    }
  });
  if (role === 'user') {
    if (text.length > 0 || out.length === 0) out.push({ role, content: text });
    return out;
  }
  const assistant: Record<string, unknown> = { role, content: joinLeadingThink(reasoning, text) };
  if (calls.length > 0) assistant.tool_calls = calls;
  return [assistant];
}

function toolResultText(content: unknown, at: string): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw badRequest(`${at}.content must be a string or a list of text blocks`);
  return content
    .map((block: unknown, k) => {
      if (!isJsonObject(block) || block.type !== 'text' || typeof block.text !== 'string')
        throw badRequest(`${at}.content[${k}] must be a text block (images are not supported)`);
      return block.text;
    })
    .join('');
}

/** Client tools (`{name, description, input_schema}`) as chat tools; server tools cannot run here. */
function anthropicTools(value: unknown): Record<string, unknown>[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badRequest('tools must be a list');
  return value.map((tool: unknown, i) => {
    if (!isJsonObject(tool) || typeof tool.name !== 'string' || (tool.type !== undefined && tool.type !== 'custom'))
      throw badRequest(`tools[${i}] must be a client tool {"name", "input_schema"} (server tools are not supported)`);
    const fn: Record<string, unknown> = { name: tool.name };
    if (tool.description !== undefined) fn.description = tool.description;
    if (tool.input_schema !== undefined) fn.parameters = tool.input_schema;
    return { type: 'function', function: fn };
  });
}

function chatToolChoice(choice: unknown): unknown {
  if (choice === undefined || choice === null) return undefined;
  if (!isJsonObject(choice)) throw badRequest('tool_choice must be an object');
  switch (choice.type) {
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      return { type: 'function', function: { name: choice.name } };
    default:
      throw badRequest('tool_choice.type must be auto, any, tool or none');
  }
}
