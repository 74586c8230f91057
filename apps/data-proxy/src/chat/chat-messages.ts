import { isJsonObject } from '@app/common';
import { CHAT_SURFACE } from '@app/contracts';
import { continuedListOf, noteContinuedList } from '../sessions/continued-messages.js';
import { badRequest, checkKind } from './request-surface.js';

const { 'message role': ROLES, 'content part type': PARTS, 'tool type': TOOL_TYPES } = CHAT_SURFACE.kinds;

/**
 * The messages as every chat template can render them, normalised the way vLLM's and SGLang's
 * OpenAI servers prepare them: content parts joined into one string ("\n" between text parts, as
 * vLLM does), null or absent content as "", `name`, `tool_call_id` and assistant `tool_calls` and
 * `reasoning_content` kept, an empty `tool_calls` dropped, null fields dropped (`refusal`,
 * `audio`, `function_call`: null is what the SDKs send back). What cannot be rendered as text (an
 * image, audio, a file, a deprecated function message) is a 400 naming it. This form is what is
 * templated, recorded, and compared to find a turn's parent. Returns the input list itself when
 * every message already is in this form (the common case allocates nothing).
 */
export function normalizeChatMessages(messages: unknown): Record<string, unknown>[] {
  if (!Array.isArray(messages)) throw badRequest('messages is required and must be a list', 'messages');
  if (messages.length === 0) throw badRequest('messages cannot be empty', 'messages');
  // A conversation's next body continues the previous one's list (ConversationBodies): the normal
  // form of those messages is the previous normal form's, so only the new ones are looked at.
  const continued = continuedListOf(messages);
  const before = continued && normalFormOf.get(continued.of);
  const start = continued && before ? continued.length : 0;
  let out: Record<string, unknown>[] | null =
    before === undefined || before === continued?.of ? null : before.slice(0, start);
  for (let i = start; i < messages.length; i++) {
    const message: unknown = messages[i];
    let normal = typeof message === 'object' && message !== null ? normalizedBefore.get(message) : undefined;
    if (normal === undefined) {
      normal = normalizeMessage(message, i);
      normalizedBefore.set(message as object, normal);
    }
    if (normal !== message && out === null) out = (messages as Record<string, unknown>[]).slice(0, i);
    out?.push(normal);
  }
  if (out === null) {
    normalFormOf.set(messages, messages);
    return messages as Record<string, unknown>[];
  }
  normalFormOf.set(messages, out);
  if (before !== undefined) noteContinuedList(out, before, start);
  return out;
}

/**
 * The normal form returned for each message list (the list itself when all of it was normal), for
 * the list that continues it. Keyed by the list; the normal form of a list is never changed.
 */
const normalFormOf = new WeakMap<readonly unknown[], readonly Record<string, unknown>[]>();

/**
 * The normal form of each message seen (the message itself when it was normal as sent; a new
 * object for an SDK's null fields or content parts). An agent's resent messages are the same
 * objects turn after turn (`ConversationBodies`), and messages are never changed once parsed: each
 * is checked once and gets one normal form, the same object every turn, which parent matching then
 * compares by pointer. A late turn of a long episode so checks its new messages only, not 256.
 */
const normalizedBefore = new WeakMap<object, Record<string, unknown>>();

/** Keys a normalised message may have, per role (anything else is dropped, as the engines drop it). */
const KEPT: Record<string, ReadonlySet<string>> = {
  system: new Set(['role', 'content', 'name']),
  developer: new Set(['role', 'content', 'name']),
  user: new Set(['role', 'content', 'name']),
  assistant: new Set(['role', 'content', 'name', 'tool_calls', 'reasoning_content']),
  tool: new Set(['role', 'content', 'tool_call_id', 'name']),
};

function normalizeMessage(message: unknown, i: number): Record<string, unknown> {
  const at = `messages[${i}]`;
  if (!isJsonObject(message)) throw badRequest(`${at} must be an object`, at);
  const role = message.role;
  checkKind(ROLES, role, `${at}.role`, 'role');
  const kept = KEPT[role as string];
  const content = message.content;
  const text = typeof content === 'string' ? content : contentText(content, role as string, `${at}.content`);
  // Already normal: a string content and only kept keys, none of them null.
  let normal = text === content;
  for (const key in message) {
    const value = message[key];
    if (
      !kept.has(key) ||
      value === null ||
      (key === 'tool_calls'
        ? !normalToolCalls(value)
        : key !== 'role' && key !== 'content' && typeof value !== 'string')
    ) {
      normal = false;
      break;
    }
  }
  if (normal) return message;
  const out: Record<string, unknown> = { role, content: text };
  for (const key in message) {
    const value = message[key];
    if (key === 'role' || key === 'content' || value === null || value === undefined) continue;
    switch (key) {
      case 'name':
      case 'tool_call_id':
      case 'reasoning_content':
        if (!kept.has(key)) break;
        if (typeof value !== 'string') throw badRequest(`${at}.${key} must be a string`, `${at}.${key}`);
        out[key] = value;
        break;
      case 'reasoning':
        // vLLM's name for the same thing.
        if (
          role === 'assistant' &&
          typeof value === 'string' &&
          (message.reasoning_content === undefined || message.reasoning_content === null)
        )
          out.reasoning_content = value;
        break;
      case 'tool_calls': {
        if (role !== 'assistant') break;
        const calls = toolCalls(value, `${at}.tool_calls`);
        if (calls.length > 0) out.tool_calls = calls;
        break;
      }
      case 'audio':
        throw badRequest(`${at}.audio: audio is not supported: this model takes text only`, `${at}.audio`);
      case 'function_call':
        throw badRequest(
          `${at}.function_call: deprecated by OpenAI and not supported: send tool_calls`,
          `${at}.function_call`,
        );
      default:
        // refusal (the SDKs send it back as null or as the refusal text) and anything else: dropped.
        break;
    }
  }
  return out;
}

/** Text of a content value: string as is, absent or null as "", parts joined with "\n". */
function contentText(content: unknown, role: string, at: string): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw badRequest(`${at} must be a string or a list of parts`, at);
  let text = '';
  for (let j = 0; j < content.length; j++) {
    const part: unknown = content[j];
    const where = `${at}[${j}]`;
    if (!isJsonObject(part)) throw badRequest(`${where} must be a content part object`, where);
    checkKind(PARTS, part.type, where, 'content part type');
    const value = part.type === 'refusal' ? part.refusal : part.text;
    if (typeof value !== 'string')
      throw badRequest(`${where}.${String(part.type)} must be a string`, `${where}.${String(part.type)}`);
    if (part.type === 'refusal' && role !== 'assistant')
      throw badRequest(`${where}: refusal parts belong to assistant messages`, where);
    text = j === 0 ? value : `${text}\n${value}`;
  }
  return text;
}

/** Whether `value` is a non-empty list of tool calls already in the recorded form. */
function normalToolCalls(value: unknown): boolean {
  if (!Array.isArray(value) || value.length === 0) return false;
  for (const call of value) {
    if (!isJsonObject(call) || call.type !== 'function' || typeof call.id !== 'string') return false;
    const fn = call.function;
    if (!isJsonObject(fn) || typeof fn.name !== 'string' || typeof fn.arguments !== 'string') return false;
    for (const key in call) if (key !== 'id' && key !== 'type' && key !== 'function') return false;
    for (const key in fn) if (key !== 'name' && key !== 'arguments') return false;
  }
  return true;
}

/** An assistant message's tool calls as `{id, type: "function", function: {name, arguments}}`. */
function toolCalls(value: unknown, at: string): Record<string, unknown>[] {
  if (!Array.isArray(value)) throw badRequest(`${at} must be a list`, at);
  return value.map((call: unknown, k) => {
    const where = `${at}[${k}]`;
    if (!isJsonObject(call)) throw badRequest(`${where} must be an object`, where);
    checkKind(TOOL_TYPES, call.type ?? 'function', `${where}.type`, 'tool call type');
    const fn = call.function;
    if (!isJsonObject(fn) || typeof fn.name !== 'string')
      throw badRequest(`${where} must be {"type": "function", "function": {"name", "arguments"}}`, where);
    const args = fn.arguments ?? '{}';
    if (typeof args !== 'string' && !isJsonObject(args))
      throw badRequest(`${where}.function.arguments must be a JSON string`, `${where}.function.arguments`);
    const out: Record<string, unknown> = { type: 'function', function: { name: fn.name, arguments: args } };
    if (call.id !== undefined && call.id !== null) {
      if (typeof call.id !== 'string') throw badRequest(`${where}.id must be a string`, `${where}.id`);
      out.id = call.id;
    }
    return out;
  });
}
