import { describe, expect, it } from '@jest/globals';
import { isAllowedValue, type FieldHandling } from '@app/contracts';
import { CHAT, CHAT_FIELD_SAMPLES } from '../e2e/surface/chat.js';
import { COMPLETIONS, COMPLETIONS_FIELD_SAMPLES } from '../e2e/surface/completions.js';
import { CALCULATOR_CALL } from '../e2e/surface/effects.js';
import { SurfaceStack, type ApiUnderTest, type Sample } from '../e2e/surface/harness.js';
import { MESSAGES, MESSAGES_FIELD_SAMPLES } from '../e2e/surface/messages.js';
import { RESPONSES, RESPONSES_FIELD_SAMPLES } from '../e2e/surface/responses.js';
import { seeded, type Random } from './requests.js';

const REQUESTS_PER_API = 120;
const SEED = 20261206;

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];
const chance = (random: Random, p: number): boolean => random() < p;
const WORDS = ['alpha', 'beta', 'gamma', 'delta', '42', 'é', '中文', '<b>', '{"x": 1}', 'line\nbreak', ''];
const words = (random: Random): string =>
  Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(random, WORDS)).join(' ');

/** Chat content as clients send it: a string, null (assistant), or text parts. */
function chatContent(random: Random, nullable: boolean): unknown {
  const r = random();
  if (nullable && r < 0.2) return null;
  if (r < 0.6) return words(random);
  return Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({ type: 'text', text: words(random) }));
}

let calls = 0;
const callId = (): string => `call_${(calls++).toString(36)}`;

/** A conversation of every shape the chat API documents: system or developer, parts, tool rounds, names. */
function chatMessages(random: Random): unknown[] {
  const messages: Record<string, unknown>[] = [];
  if (chance(random, 0.5))
    messages.push({ role: pick(random, ['system', 'developer']), content: chatContent(random, false) });
  const rounds = Math.floor(random() * 3);
  for (let i = 0; i < rounds; i++) {
    messages.push({
      role: 'user',
      content: chatContent(random, false),
      ...(chance(random, 0.2) ? { name: 'ann' } : {}),
    });
    const id = callId();
    const withCall = chance(random, 0.5);
    messages.push({
      role: 'assistant',
      content: chatContent(random, withCall),
      ...(withCall
        ? { tool_calls: [{ id, type: 'function', function: { name: 'calculator', arguments: '{"expression": "1"}' } }] }
        : {}),
      ...(chance(random, 0.3) ? { refusal: null } : {}),
      ...(chance(random, 0.2) ? { audio: null } : {}),
    });
    if (withCall) messages.push({ role: 'tool', tool_call_id: id, content: chatContent(random, false) });
  }
  messages.push({ role: 'user', content: chance(random, 0.2) ? `go ${CALCULATOR_CALL}` : chatContent(random, false) });
  return messages;
}

function responsesInput(random: Random): unknown {
  if (chance(random, 0.3)) return words(random);
  const items: Record<string, unknown>[] = [];
  const rounds = Math.floor(random() * 3);
  for (let i = 0; i < rounds; i++) {
    items.push({
      role: pick(random, ['user', 'system', 'developer']),
      content: [{ type: 'input_text', text: words(random) }],
    });
    if (chance(random, 0.3))
      items.push({
        type: 'reasoning',
        id: `rs_${i}`,
        summary: [],
        content: [{ type: 'reasoning_text', text: words(random) }],
      });
    items.push({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'output_text', text: words(random), annotations: [] }],
    });
    if (chance(random, 0.5)) {
      const id = callId();
      items.push({ type: 'function_call', call_id: id, name: 'calculator', arguments: '{}' });
      items.push({
        type: 'function_call_output',
        call_id: id,
        output: chance(random, 0.5) ? words(random) : [{ type: 'input_text', text: words(random) }],
      });
    }
  }
  items.push({ role: 'user', content: words(random) });
  return items;
}

function anthropicMessages(random: Random): unknown[] {
  const messages: Record<string, unknown>[] = [];
  const rounds = Math.floor(random() * 3);
  for (let i = 0; i < rounds; i++) {
    messages.push({
      role: 'user',
      content: chance(random, 0.5) ? words(random) : [{ type: 'text', text: words(random) }],
    });
    const blocks: Record<string, unknown>[] = [];
    if (chance(random, 0.3)) blocks.push({ type: 'thinking', thinking: words(random), signature: '' });
    if (chance(random, 0.2)) blocks.push({ type: 'redacted_thinking', data: 'xyz' });
    blocks.push({ type: 'text', text: words(random) });
    const id = `toolu_${callId()}`;
    const withCall = chance(random, 0.5);
    if (withCall) blocks.push({ type: 'tool_use', id, name: 'calculator', input: { expression: '1' } });
    messages.push({ role: 'assistant', content: blocks });
    if (withCall)
      messages.push({
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: id,
            content: chance(random, 0.5) ? words(random) : [{ type: 'text', text: words(random) }],
          },
        ],
      });
  }
  messages.push({ role: 'user', content: words(random) || 'hi' });
  return messages;
}

/** The random part of each API's request: its conversation (or prompt), in every documented shape. */
const CONVERSATIONS: Record<string, (random: Random) => Record<string, unknown>> = {
  chat: (random) => ({ messages: chatMessages(random) }),
  responses: (random) => ({
    input: responsesInput(random),
    ...(chance(random, 0.5) ? { instructions: words(random) } : {}),
  }),
  messages: (random) => ({
    messages: anthropicMessages(random),
    ...(chance(random, 0.5)
      ? { system: chance(random, 0.5) ? words(random) : [{ type: 'text', text: words(random) }] }
      : {}),
  }),
  completions: (random) => ({ prompt: chance(random, 0.7) ? words(random) || 'x' : [9707, 1052, 13] }),
};

const TOOLS: Record<string, unknown> = {
  chat: [{ type: 'function', function: { name: 'calculator', parameters: { type: 'object' } } }],
  responses: [{ type: 'function', name: 'calculator', parameters: { type: 'object' } }],
  messages: [{ name: 'calculator', input_schema: { type: 'object' } }],
};

/** A sample valid in any combination (no earlier turn needed, any prompt length, not refused). */
function usableInFuzz(sample: Sample, entry: FieldHandling): boolean {
  if (sample.refused || sample.prepare || sample.shortPromptOnly) return false;
  return entry.handling !== 'refused' || isAllowedValue(entry, sample.value);
}

/**
 * A random combination of documented fields: valid samples of honored and accepted fields (and
 * the accepted values of refused ones), at most one per exclusive group; a sample whose field or
 * companions another already set is left out, so every request is valid.
 */
function randomRequest(
  random: Random,
  api: ApiUnderTest,
  samples: Record<string, Sample[]>,
  used: Set<string>,
): Record<string, unknown> {
  const fields = { ...api.surface.fields, ...api.surface.extensions } as Record<string, FieldHandling>;
  const request: Record<string, unknown> = { ...api.base, ...CONVERSATIONS[api.name](random) };
  if (TOOLS[api.name] && chance(random, 0.5)) request.tools = TOOLS[api.name];
  // What the request holds so far may be replaced once (the conversation, by a sample that needs its own).
  const taken = new Set<string>();
  const groups = new Set<string>();
  for (const [field, entry] of Object.entries(fields)) {
    if (!chance(random, 0.25)) continue;
    const usable = (samples[field] ?? []).filter((s) => usableInFuzz(s, entry));
    if (usable.length === 0) continue;
    const sample = pick(random, usable);
    const keys = [field, ...Object.keys(sample.with ?? {})];
    if (keys.some((key) => taken.has(key)) || (sample.group && groups.has(sample.group))) continue;
    for (const key of keys) taken.add(key);
    if (sample.group) groups.add(sample.group);
    used.add(field);
    Object.assign(request, sample.with, { [field]: sample.value });
  }
  return request;
}

/**
 * Random combinations of documented fields and every content part, item and block type, all
 * valid: every one must be answered (no template error, no 5xx, no other refusal).
 */
describe('fuzzing the request surface with valid requests', () => {
  const stack = SurfaceStack.forSuite();

  it.each([
    ['chat', CHAT, CHAT_FIELD_SAMPLES],
    ['responses', RESPONSES, RESPONSES_FIELD_SAMPLES],
    ['messages', MESSAGES, MESSAGES_FIELD_SAMPLES],
    ['completions', COMPLETIONS, COMPLETIONS_FIELD_SAMPLES],
  ] as [string, ApiUnderTest, Record<string, Sample[]>][])(
    '%s: every valid request is answered, every valid field used',
    async (_name, api, samples) => {
      const random = seeded(SEED + api.name.length);
      const failures: string[] = [];
      const used = new Set<string>();
      for (let i = 0; i < REQUESTS_PER_API; i++) {
        const request = randomRequest(random, api, samples, used);
        const x = await stack.send(api, request, false);
        if (x.status !== 200)
          failures.push(
            `${x.status} ${JSON.stringify(x.json).slice(0, 300)} ← ${JSON.stringify(request).slice(0, 600)}`,
          );
      }
      expect(failures).toEqual([]);
      // The combinations reached every field that has a valid sample.
      const fields = { ...api.surface.fields, ...api.surface.extensions } as Record<string, FieldHandling>;
      const usable = Object.keys(fields).filter((field) =>
        (samples[field] ?? []).some((s) => usableInFuzz(s, fields[field])),
      );
      expect(usable.filter((field) => !used.has(field))).toEqual([]);
    },
    120_000,
  );
});
