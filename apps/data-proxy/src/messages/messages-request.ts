import { isJsonObject } from '@app/common';
import { MESSAGES_SURFACE } from '@app/contracts';
import { parseChatRequest, type ChatRequest } from '../chat/chat-request.js';
import { joinLeadingThink } from '../chat/leading-think.js';
import { pythonJsonDumps } from '../chat/output-parser.js';
import { badRequest, checkKind, checkRequestFields } from '../chat/request-surface.js';
import { anthropicFormatConstraint } from '../chat/structured-output.js';

const {
  'message role': ROLES,
  'content block type': BLOCKS,
  'tool_result content type': RESULT_BLOCKS,
  'tool type': TOOL_TYPES,
  tool_choice: TOOL_CHOICES,
  thinking: THINKING,
} = MESSAGES_SURFACE.kinds;

/**
 * Converts an Anthropic Messages request into the chat pipeline's request: `system` becomes the
 * system message, content blocks become chat messages (`tool_result` → tool messages, `tool_use` →
 * tool calls, `thinking` → the leading think block), tools with `input_schema` become chat tools,
 * `output_config.format` the response format. Every field is checked against the Messages handling
 * table first. `max_tokens` is required, as Anthropic requires it. `forCounting` (count_tokens)
 * skips the generation-only fields.
 */
export function parseMessagesRequest(body: unknown, forCounting = false): ChatRequest {
  if (!isJsonObject(body)) throw badRequest('The request body must be a JSON object');
  checkRequestFields(body, MESSAGES_SURFACE);
  const request = body;
  const maxTokens = request.max_tokens as number | null | undefined;
  if (!forCounting && (maxTokens === undefined || maxTokens === null))
    throw badRequest('max_tokens is required', 'max_tokens');
  const messages: Record<string, unknown>[] = [];
  const system = systemText(request.system, 'system');
  if (system !== null) messages.push({ role: 'system', content: system });
  if (!Array.isArray(request.messages) || request.messages.length === 0)
    throw badRequest('messages is required and must be a non-empty list', 'messages');
  request.messages.forEach((message: unknown, i) => messages.push(...chatMessages(message, i)));

  const templateKwargs = isJsonObject(request.chat_template_kwargs) ? { ...request.chat_template_kwargs } : {};
  if (isJsonObject(request.thinking)) {
    checkKind(THINKING, request.thinking.type, 'thinking.type', 'thinking');
    templateKwargs.enable_thinking = request.thinking.type !== 'disabled';
  }
  const outputConfig = request.output_config;
  let format: unknown;
  if (isJsonObject(outputConfig)) {
    for (const key in outputConfig) {
      if (outputConfig[key] === null || outputConfig[key] === undefined) continue;
      if (key !== 'format')
        throw badRequest(`output_config.${key}: not supported (only format)`, `output_config.${key}`);
    }
    const constraint = anthropicFormatConstraint(outputConfig.format, 'output_config.format');
    if (constraint?.kind === 'json_schema')
      format = { type: 'json_schema', json_schema: { name: 'output', schema: constraint.schema, strict: true } };
  }
  const tools = anthropicTools(request.tools);
  const toolChoice = isJsonObject(request.tool_choice) ? request.tool_choice : undefined;
  if (toolChoice?.disable_parallel_tool_use === true && (toolChoice.type === 'auto' || toolChoice.type === 'none'))
    throw badRequest(
      'tool_choice.disable_parallel_tool_use is honoured only with tool_choice any or tool (decoding then makes exactly one call)',
      'tool_choice.disable_parallel_tool_use',
    );
  return parseChatRequest({
    model: request.model,
    messages,
    tools: tools.length > 0 ? tools : null,
    tool_choice: chatToolChoice(toolChoice),
    parallel_tool_calls: toolChoice?.disable_parallel_tool_use === true ? false : undefined,
    response_format: forCounting ? undefined : format,
    max_completion_tokens: forCounting ? undefined : maxTokens,
    stop: forCounting ? undefined : request.stop_sequences,
    temperature: request.temperature,
    top_p: request.top_p,
    top_k: request.top_k,
    min_p: request.min_p,
    repetition_penalty: request.repetition_penalty,
    seed: request.seed,
    stream: forCounting ? false : request.stream,
    store: request.store,
    chat_template_kwargs: templateKwargs,
  });
}

function systemText(system: unknown, at: string): string | null {
  if (system === undefined || system === null) return null;
  if (typeof system === 'string') return system;
  if (!Array.isArray(system)) throw badRequest(`${at} must be a string or a list of text blocks`, at);
  return system
    .map((block: unknown, i) => {
      if (!isJsonObject(block) || block.type !== 'text' || typeof block.text !== 'string')
        throw badRequest(`${at}[${i}] must be a text block`, `${at}[${i}]`);
      return block.text;
    })
    .join('');
}

/** One Anthropic message as chat messages: a user turn's tool results come first, each as a tool message. */
function chatMessages(message: unknown, i: number): Record<string, unknown>[] {
  const at = `messages[${i}]`;
  if (!isJsonObject(message)) throw badRequest(`${at} must be {"role": "user" | "assistant", "content": ...}`, at);
  checkKind(ROLES, message.role, `${at}.role`, 'role');
  const role = message.role as 'user' | 'assistant' | 'system';
  const { content } = message;
  if (role === 'system') return [{ role, content: systemText(content, `${at}.content`) ?? '' }];
  if (typeof content === 'string') return [{ role, content }];
  if (!Array.isArray(content)) throw badRequest(`${at}.content must be a string or a list of blocks`, `${at}.content`);
  const out: Record<string, unknown>[] = [];
  let text = '';
  let reasoning: string | null = null;
  const calls: Record<string, unknown>[] = [];
  content.forEach((block: unknown, j) => {
    const where = `${at}.content[${j}]`;
    if (!isJsonObject(block)) throw badRequest(`${where} must be a content block`, where);
    checkKind(BLOCKS, block.type, where, 'content block type');
    switch (`${role}:${String(block.type)}`) {
      case 'user:text':
      case 'assistant:text':
        if (typeof block.text !== 'string') throw badRequest(`${where}.text must be a string`, `${where}.text`);
        text += block.text;
        return;
      case 'user:tool_result':
        if (typeof block.tool_use_id !== 'string')
          throw badRequest(`${where}.tool_use_id must be a string`, `${where}.tool_use_id`);
        out.push({ role: 'tool', tool_call_id: block.tool_use_id, content: toolResultText(block.content, where) });
        return;
      case 'assistant:thinking':
        if (typeof block.thinking !== 'string')
          throw badRequest(`${where}.thinking must be a string`, `${where}.thinking`);
        reasoning = (reasoning ?? '') + block.thinking;
        return;
      case 'assistant:redacted_thinking':
        return;
      case 'assistant:tool_use':
        if (typeof block.id !== 'string' || typeof block.name !== 'string' || !isJsonObject(block.input))
          throw badRequest(`${where}: a tool_use block needs id, name and an input object`, where);
        // The arguments as the tool-call parser writes them, so the turn matches what was recorded.
        calls.push({
          id: block.id,
          function: { arguments: pythonJsonDumps(block.input), name: block.name },
          type: 'function',
        });
        return;
      default:
        throw badRequest(`${where}.type ${JSON.stringify(block.type)} is not supported in a ${role} message`, where);
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
  if (!Array.isArray(content))
    throw badRequest(`${at}.content must be a string or a list of text blocks`, `${at}.content`);
  return content
    .map((block: unknown, k) => {
      const where = `${at}.content[${k}]`;
      if (!isJsonObject(block)) throw badRequest(`${where} must be a content block`, where);
      checkKind(RESULT_BLOCKS, block.type, where, 'tool_result content type');
      if (typeof block.text !== 'string') throw badRequest(`${where}.text must be a string`, `${where}.text`);
      return block.text;
    })
    .join('');
}

/** Client tools (`{name, description, input_schema}`) as chat tools; server tools cannot run here. */
function anthropicTools(value: unknown): Record<string, unknown>[] {
  if (!Array.isArray(value)) return [];
  return value.map((tool: unknown, i) => {
    if (!isJsonObject(tool)) throw badRequest(`tools[${i}] must be an object`, `tools[${i}]`);
    checkKind(TOOL_TYPES, tool.type ?? 'custom', `tools[${i}].type`, 'tool type');
    if (typeof tool.name !== 'string')
      throw badRequest(`tools[${i}] must be a client tool {"name", "input_schema"}`, `tools[${i}].name`);
    const fn: Record<string, unknown> = { name: tool.name };
    if (tool.description !== undefined) fn.description = tool.description;
    if (tool.input_schema !== undefined) fn.parameters = tool.input_schema;
    return { type: 'function', function: fn };
  });
}

function chatToolChoice(choice: Record<string, unknown> | undefined): unknown {
  if (choice === undefined) return undefined;
  checkKind(TOOL_CHOICES, choice.type, 'tool_choice.type', 'tool_choice');
  switch (choice.type) {
    case 'any':
      return 'required';
    case 'tool':
      return { type: 'function', function: { name: choice.name } };
    default:
      return choice.type;
  }
}
