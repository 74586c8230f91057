import { describe, expect, it } from '@jest/globals';
import { AppException } from '@app/common';
import { DataProxyModel } from '../tokenization/data-proxy-model.js';
import { continuedListOf, noteContinuedList } from '../sessions/continued-messages.js';
import { normalizeChatMessages } from './chat-messages.js';
import { outputMessage } from './chat-response.js';

const CALL = { id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"x": 1}' } };

function refusal(messages: unknown): { message: string; param: string | undefined } {
  try {
    normalizeChatMessages(messages);
  } catch (err) {
    if (err instanceof AppException) return { message: err.message, param: err.details.param };
    throw err;
  }
  throw new Error('expected a 400');
}

describe('normalizeChatMessages: what the engines’ OpenAI servers do before templating', () => {
  it('returns the list itself when every message is already normal (nothing allocated)', () => {
    const messages = [
      { role: 'system', content: 's' },
      { role: 'user', content: 'u', name: 'ann' },
      { content: 'a', role: 'assistant', tool_calls: [CALL] },
      { role: 'tool', content: 'r', tool_call_id: 'call_1' },
    ];
    expect(normalizeChatMessages(messages)).toBe(messages);
  });

  it('gives a message sent again (the same object) the same normal form, object for object', () => {
    const sentBack = { role: 'assistant', content: 'a', refusal: null, tool_calls: [] };
    const first = normalizeChatMessages([{ role: 'user', content: 'u' }, sentBack]);
    const again = normalizeChatMessages([{ role: 'user', content: 'u' }, sentBack, { role: 'user', content: 'v' }]);
    expect(first[1]).toEqual({ role: 'assistant', content: 'a' });
    expect(again[1]).toBe(first[1]);
  });

  it('normalises a list that continues a normalised one by its new messages only, to the same values', () => {
    // An agent's turn 1 (its answer sent back as the SDK returns it: not normal), then turn 2, which
    // resends those objects (ConversationBodies) and adds two.
    const first: unknown[] = [
      { role: 'user', content: 'u' },
      { role: 'assistant', content: 'a', refusal: null },
    ];
    const firstNormal = normalizeChatMessages(first);
    const added = [
      { role: 'user', content: [{ type: 'text', text: 'v' }] },
      { role: 'user', content: 'w' },
    ];
    const reads = new Set<number>();
    const second = new Proxy(first.concat(added), {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads.add(Number(key));
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    noteContinuedList(second, first, first.length);
    const secondNormal = normalizeChatMessages(second);
    expect([...reads].sort()).toEqual([2, 3]);
    expect(secondNormal).toEqual(normalizeChatMessages(JSON.parse(JSON.stringify(first.concat(added)))));
    expect(secondNormal[1]).toBe(firstNormal[1]);
    // The normal form continues the earlier normal form, for parent matching.
    expect(continuedListOf(secondNormal)).toEqual({ of: firstNormal, length: 2 });
    // A list that continues an all-normal one and adds normal messages is returned itself.
    const normal: unknown[] = [{ role: 'user', content: 'u' }];
    normalizeChatMessages(normal);
    const next = normal.concat([{ role: 'user', content: 'x' }]);
    noteContinuedList(next, normal, 1);
    expect(normalizeChatMessages(next)).toBe(next);
  });

  it('checks the new messages of a continued list as any (a 400 names the message by its place)', () => {
    const first: unknown[] = [{ role: 'user', content: 'u' }];
    normalizeChatMessages(first);
    const next = first.concat([
      { role: 'user', content: 'v' },
      { role: 'wizard', content: 'x' },
    ]);
    noteContinuedList(next, first, 1);
    expect(refusal(next).param).toBe('messages[2].role');
    // A list noted to continue one never normalised (nothing to reuse) is checked in full.
    const unseen: unknown[] = [{ role: 'wizard', content: 'x' }];
    const after = unseen.concat([{ role: 'user', content: 'v' }]);
    noteContinuedList(after, unseen, 1);
    expect(refusal(after).param).toBe('messages[0].role');
  });

  it('joins text parts with "\\n" (vLLM), null or absent content as "", keeps name', () => {
    expect(
      normalizeChatMessages([
        { role: 'user', content: [{ type: 'text', text: 'Hello' }], name: 'ann' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [CALL], refusal: null, audio: null, function_call: null },
        { role: 'assistant' },
        { role: 'tool', tool_call_id: 'call_1', content: [{ type: 'text', text: '42' }] },
        { role: 'developer', content: [{ type: 'text', text: 'be brief' }] },
        { role: 'assistant', content: [{ type: 'refusal', refusal: 'no' }], tool_calls: [] },
      ]),
    ).toEqual([
      { role: 'user', content: 'Hello', name: 'ann' },
      { role: 'user', content: 'a\nb' },
      { role: 'assistant', content: '', tool_calls: [CALL] },
      { role: 'assistant', content: '' },
      { role: 'tool', tool_call_id: 'call_1', content: '42' },
      { role: 'developer', content: 'be brief' },
      { role: 'assistant', content: 'no' },
    ]);
  });

  it('an assistant message the OpenAI SDK sends back equals the recorded answer (so the turn finds its parent)', () => {
    const recorded = outputMessage('', [{ ...CALL, type: 'function' }]);
    const sentBack = { role: 'assistant', content: null, refusal: null, tool_calls: [{ ...CALL }] };
    expect(normalizeChatMessages([sentBack])[0]).toEqual(recorded);
  });

  it.each([
    [
      'an image part',
      [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }],
      'messages[0].content[0]',
      /Images are not supported: this model takes text only/,
    ],
    [
      'an audio part',
      [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }],
      'messages[0].content[0]',
      /Audio is not supported/,
    ],
    [
      'a file part',
      [{ role: 'user', content: [{ type: 'file', file: {} }] }],
      'messages[0].content[0]',
      /Files are not supported/,
    ],
    [
      'an unknown part type',
      [{ role: 'user', content: [{ type: 'video' }] }],
      'messages[0].content[0]',
      /not supported \(supported: text, refusal\)/,
    ],
    ['a function message', [{ role: 'function', name: 'f', content: 'x' }], 'messages[0].role', /Deprecated/],
    ['an unknown role', [{ role: 'wizard', content: 'x' }], 'messages[0].role', /not supported/],
    [
      'assistant audio',
      [{ role: 'assistant', content: 'x', audio: { id: 'a' } }],
      'messages[0].audio',
      /audio is not supported/,
    ],
    [
      'a custom tool call',
      [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'custom', custom: {} }] }],
      'messages[0].tool_calls[0].type',
      /Custom/,
    ],
    ['a numeric content', [{ role: 'user', content: 5 }], 'messages[0].content', /string or a list of parts/],
    ['empty messages', [], 'messages', /cannot be empty/],
  ])('refuses %s with a 400 naming it', (_name, messages, param, message) => {
    const refused = refusal(messages);
    expect(refused.param).toBe(param);
    expect(refused.message).toMatch(message);
  });

  it('what reaches the Qwen3 template always renders: null content, parts, developer, tool parts', async () => {
    const { template } = await DataProxyModel.load(undefined);
    const messages = normalizeChatMessages([
      { role: 'developer', content: [{ type: 'text', text: 'Be brief.' }] },
      { role: 'user', content: [{ type: 'text', text: 'Hello' }] },
      { role: 'assistant', content: null, tool_calls: [CALL] },
      { role: 'tool', tool_call_id: 'call_1', content: [{ type: 'text', text: '42' }] },
    ]);
    const text = template.render({ messages, tools: null, kwargs: {} });
    // The developer message is rendered as the system message (the template has no developer role).
    expect(text).toContain('<|im_start|>system\nBe brief.<|im_end|>');
    expect(text).toContain('<|im_start|>user\nHello<|im_end|>');
    expect(text).toContain('<tool_call>\n{"name": "f", "arguments": {"x": 1}}\n</tool_call>');
    expect(text).toContain('<tool_response>\n42\n</tool_response>');
  }, 30_000);
});
