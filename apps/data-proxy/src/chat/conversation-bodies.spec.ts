import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import Fastify, { type FastifyInstance } from 'fastify';
import { MetricsService, registerBodyParsers } from '@app/common';
import { seeded, type Random } from '../../../../test/support/seeded-random.js';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import { continuedListOf } from '../sessions/continued-messages.js';
import { ConversationBodies } from './conversation-bodies.js';
import { continueOutline, outlineMessages, type MessagesOutline } from './json-outline.js';

/** A Fastify server with the services' body parsers and this reuse, answering with what it parsed. */
async function server(bodies: ConversationBodies): Promise<{ app: FastifyInstance; parsed: unknown[] }> {
  const app = Fastify();
  registerBodyParsers(app, false, bodies);
  const parsed: unknown[] = [];
  for (const path of ['/v1/chat/completions', '/v1/messages', '/v1/responses'])
    app.post(path, (request, reply) => {
      parsed.push(request.body);
      void reply.send({ ok: true });
    });
  await app.ready();
  return { app, parsed };
}

const bodiesWith = (
  mb: number,
  metrics = new MetricsService({ name: 'data-proxy', version: 'test' }),
): ConversationBodies => new ConversationBodies({ 'conversation-body-cache-mb': mb } as DataProxyOptions, metrics);

/** A long message text (the conversation passes the 32 KB bound after a few turns). */
function text(random: Random, words: number): string {
  const vocabulary = [
    'tests',
    'pass',
    'the',
    'file',
    '"quoted"',
    'back\\slash',
    '{brace}',
    '[list]',
    'naïve',
    '🙂',
    '\n',
  ];
  return Array.from({ length: words }, () => vocabulary[Math.floor(random() * vocabulary.length)]).join(' ');
}

describe('ConversationBodies: a turn’s body parsed from what is new in it', () => {
  let bodies: ConversationBodies;
  let app: FastifyInstance;
  let parsed: unknown[];
  beforeEach(async () => {
    bodies = bodiesWith(32);
    ({ app, parsed } = await server(bodies));
  });
  afterEach(async () => {
    await app.close();
  });

  const post = (payload: string, key = 'session-a', url = '/v1/chat/completions') =>
    app.inject({
      method: 'POST',
      url,
      payload,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    });

  /** Sends an agent's turns (each body the whole conversation so far) and checks each value against JSON.parse. */
  async function converse(
    random: Random,
    turns: number,
    format: (body: object) => string = JSON.stringify,
  ): Promise<number> {
    let large = 0;
    const messages: Record<string, unknown>[] = [{ role: 'system', content: text(random, 400) }];
    for (let turn = 0; turn < turns; turn++) {
      messages.push({ role: 'user', content: text(random, 300) });
      const body = format({
        model: 'm',
        messages,
        temperature: 0.5,
        tools: [{ type: 'function', function: { name: 'f' } }],
      });
      if (Buffer.byteLength(body) >= 32 * 1024) large++;
      const res = await post(body);
      expect(res.statusCode).toBe(200);
      expect(parsed.at(-1)).toEqual(JSON.parse(body));
      messages.push({
        role: 'assistant',
        content: text(random, 200),
        tool_calls: [{ id: `c${turn}`, type: 'function', function: { name: 'f', arguments: '{"a":[1,{"b":"]"}]}' } }],
      });
    }
    return large;
  }

  it('gives every turn the value JSON.parse gives the whole body, parsing only the new messages once the body is large', async () => {
    const large = await converse(seeded(1), 24);
    // Every large body but the first continues the one before it.
    expect(large).toBeGreaterThan(10);
    expect(bodies.counts).toEqual({ continued: large - 1, full: 1 });
  });

  it('does the same for bodies written with white space around every token', async () => {
    // Pretty-printed JSON puts ",\n" only between tokens (a newline inside a string is escaped).
    const large = await converse(seeded(2), 20, (body) => JSON.stringify(body, null, 2).replace(/,\n/g, ' ,\n\t'));
    expect(large).toBeGreaterThan(5);
    expect(bodies.counts).toEqual({ continued: large - 1, full: 1 });
  });

  it('hands the same message objects to each turn, turn after turn (what parent matching compares by pointer)', async () => {
    const random = seeded(3);
    const messages: Record<string, unknown>[] = [{ role: 'system', content: text(random, 6000) }];
    for (let turn = 0; turn < 3; turn++) {
      messages.push({ role: 'user', content: `turn ${turn}` });
      await post(JSON.stringify({ model: 'm', messages }));
    }
    const [first, second, third] = parsed as { messages: unknown[] }[];
    expect(second.messages[0]).toBe(first.messages[0]);
    expect(third.messages[1]).toBe(second.messages[1]);
    // And says so: each list continues the one before it (normalising and parent matching then
    // look at the new messages only).
    expect(continuedListOf(second.messages)?.of).toBe(first.messages);
    expect(continuedListOf(third.messages)).toEqual({ of: second.messages, length: 3 });
  });

  it('parses in full a body whose history was edited, and one sent by another key or to another API', async () => {
    const random = seeded(4);
    const messages = [
      { role: 'system', content: text(random, 6000) },
      { role: 'user', content: 'one' },
    ];
    await post(JSON.stringify({ messages }));
    const edited = [{ role: 'system', content: 'short' }, ...messages.slice(1), { role: 'user', content: 'two' }];
    await post(
      JSON.stringify({ messages: [{ ...messages[0], content: `${messages[0].content}!` }, ...messages.slice(1)] }),
    );
    expect(bodies.counts.continued).toBe(0);
    await post(JSON.stringify({ messages: [...messages, { role: 'user', content: 'two' }] }), 'session-b');
    await post(
      JSON.stringify({ messages: [...messages, { role: 'user', content: 'two' }] }),
      'session-a',
      '/v1/messages',
    );
    expect(bodies.counts.continued).toBe(0);
    await post(JSON.stringify({ messages: edited }));
    expect(parsed.at(-1)).toEqual({ messages: edited });
  });

  it('refuses a poisoned new message as a full parse would (400), and keeps the earlier body for the next turn', async () => {
    const random = seeded(5);
    const head = `{"model":"m","messages":[{"role":"system","content":${JSON.stringify(text(random, 6000))}}`;
    expect((await post(`${head}]}`)).statusCode).toBe(200);
    const poisoned = await post(`${head},{"role":"user","content":"x","__proto__":{"admin":true}}]}`);
    expect(poisoned.statusCode).toBe(400);
    const escaped = await post(`${head},{"role":"user","\\u005f_proto__":{"admin":true}}]}`);
    expect(escaped.statusCode).toBe(400);
    const constructor = await post(`${head},{"role":"user","constructor":{"prototype":{"admin":true}}}]}`);
    expect(constructor.statusCode).toBe(400);
    expect((await post(`${head},{"role":"user","content":"fine"}]}`)).statusCode).toBe(200);
    expect(bodies.counts.continued).toBe(1);
  });

  it('answers malformed continuations exactly as a full parse: trailing comma, broken tail, garbage after the object', async () => {
    const random = seeded(6);
    const head = `{"messages":[{"role":"system","content":${JSON.stringify(text(random, 6000))}}`;
    await post(`${head}]}`);
    for (const broken of [
      `${head},]}`,
      `${head},{"role":"user"]}`,
      `${head}]}x`,
      `${head}],}`,
      `${head},{"role":"user","content":"a"}`,
    ]) {
      const full = await app.inject({
        method: 'POST',
        url: '/v1/responses',
        payload: broken,
        headers: { 'content-type': 'application/json' },
      });
      const continued = await post(broken);
      expect({ status: continued.statusCode, body: continued.json() }).toEqual({
        status: full.statusCode,
        body: full.json(),
      });
      expect(continued.statusCode).toBe(400);
    }
    expect(bodies.counts.continued).toBe(0);
  });

  it('gives a later duplicate "messages" key the last word, as JSON.parse does', async () => {
    const random = seeded(7);
    const head = `{"messages":[{"role":"system","content":${JSON.stringify(text(random, 6000))}}`;
    await post(`${head}]}`);
    const duplicate = `${head},{"role":"user","content":"a"}],"messages":[{"role":"user","content":"b"}]}`;
    expect((await post(duplicate)).statusCode).toBe(200);
    expect(parsed.at(-1)).toEqual(JSON.parse(duplicate));
  });

  it('answers bodies with random edits after the kept messages exactly as a full parse does (seeded fuzz)', async () => {
    const random = seeded(10);
    const conversation = [{ role: 'system', content: text(random, 6000) }];
    let base = JSON.stringify({ model: 'm', messages: conversation, n: 1 });
    await post(base);
    const alphabet = [
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      '"',
      '\\',
      ' ',
      'a',
      '1',
      '"messages":[',
      '{"role":"user"}',
      '\\u005f',
    ];
    for (let round = 0; round < 300; round++) {
      // Somewhere from the end of the kept messages on: the part a continuation parses itself.
      const from = base.lastIndexOf('}]') + 1;
      const at = from + Math.floor(random() * (base.length - from + 1));
      const piece = alphabet[Math.floor(random() * alphabet.length)];
      const kind = random();
      const edited =
        kind < 0.4
          ? base.slice(0, at) + piece + base.slice(at)
          : kind < 0.7
            ? base.slice(0, at) + base.slice(at + 1)
            : `${base.slice(0, from)},{"role":"user","content":${JSON.stringify(piece)}}${base.slice(from)}`;
      const reference = await app.inject({
        method: 'POST',
        url: '/v1/responses',
        payload: edited,
        headers: { 'content-type': 'application/json' },
      });
      const expected = reference.statusCode === 200 ? parsed.at(-1) : reference.json();
      const continued = await post(edited);
      expect(continued.statusCode).toBe(reference.statusCode);
      expect(continued.statusCode === 200 ? parsed.at(-1) : continued.json()).toEqual(expected);
      if (continued.statusCode === 200 && (parsed.at(-1) as { messages?: unknown }).messages !== undefined)
        base = edited;
    }
    expect(bodies.counts.continued).toBeGreaterThan(10);
  });

  it('counts the bodies it parsed either way on /metrics', async () => {
    const metrics = new MetricsService({ name: 'data-proxy', version: 'test' });
    const counted = bodiesWith(32, metrics);
    counted.counts.continued = 3;
    counted.counts.full = 1;
    const text = await metrics.registry.getSingleMetricAsString('data_proxy_conversation_bodies_total');
    expect(text).toContain('data_proxy_conversation_bodies_total{parsed="continued",app="data-proxy"} 3');
    expect(text).toContain('data_proxy_conversation_bodies_total{parsed="full",app="data-proxy"} 1');
  });

  it('keeps nothing for small bodies, and nothing at all with --conversation-body-cache-mb 0', async () => {
    await converse(seeded(8), 2);
    expect(bodies.counts).toEqual({ continued: 0, full: 0 });
    const off = await server(bodiesWith(0));
    const messages = [{ role: 'system', content: text(seeded(9), 6000) }];
    for (let turn = 0; turn < 3; turn++) {
      messages.push({ role: 'user', content: `t${turn}` });
      await off.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: JSON.stringify({ messages }),
        headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
      });
    }
    expect(off.parsed.at(-1)).toEqual({ messages });
    await off.app.close();
  });

  it('holds at most its memory bound, the least recently used caller first out', async () => {
    const small = bodiesWith(1); // 512k characters: about ten 48 KB bodies
    const { app: bounded } = await server(small);
    const body = (n: number) =>
      JSON.stringify({ messages: [{ role: 'user', content: `${n} ${'x'.repeat(48 * 1024)}` }] });
    for (let key = 0; key < 20; key++)
      await bounded.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: body(key),
        headers: { 'content-type': 'application/json', authorization: `Bearer k${key}` },
      });
    const again = (key: number) =>
      bounded.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: JSON.stringify({ messages: [...JSON.parse(body(key)).messages, { role: 'user', content: 'next' }] }),
        headers: { 'content-type': 'application/json', authorization: `Bearer k${key}` },
      });
    await again(0);
    expect(small.counts.continued).toBe(0);
    await again(19);
    expect(small.counts.continued).toBe(1);
    await bounded.close();
  });
});

describe('outlineMessages / continueOutline', () => {
  // The scanner reads a body's bytes; its offsets are byte offsets (the same as string indexes for ASCII).
  const outlineOf = (body: string) => outlineMessages(Buffer.from(body));
  const continuedOutline = (body: string, earlier: MessagesOutline) => continueOutline(Buffer.from(body), earlier);

  it('gives byte offsets in a body with multi-byte characters, and reads no byte of them as a delimiter', () => {
    const body = '{"model":"naïve 🙂","messages":[{"content":"é\\"] 🙂,"},"∑"],"x":"ü"}';
    const bytes = Buffer.from(body);
    const outline = outlineMessages(bytes)!;
    expect(bytes[outline.open]).toBe(0x5b);
    expect(outline.ends.map((end) => String.fromCharCode(bytes[end]))).toEqual([',', ']']);
    expect(JSON.parse(`[${bytes.toString('utf8', outline.open + 1, outline.ends[1])}]`)).toEqual(
      JSON.parse(body).messages,
    );
  });

  it('finds the top-level messages array and the delimiter after each element', () => {
    const body = '{ "model" : "m", "tools":[{"a":"],}"}], "messages" : [ {"c":"x\\"]"} , [1,2], "s", 3 ] , "n": null }';
    const outline = outlineOf(body)!;
    expect(body[outline.open]).toBe('[');
    expect(outline.ends.map((end) => body.slice(end).trimStart()[0])).toEqual([',', ',', ',', ']']);
    expect(body.slice(0, outline.ends[1]).endsWith('[1,2]')).toBe(true);
    expect(JSON.parse(`[${body.slice(outline.open + 1, outline.ends[0])}]`)).toEqual([{ c: 'x"]' }]);
  });

  it('has no outline for a key spelled with escapes, a duplicate messages, or no object', () => {
    expect(outlineOf('{"mess\\u0061ges":[1]}')).toBeNull();
    expect(outlineOf('{"messages":[1],"messages":[2]}')).toBeNull();
    expect(outlineOf('[{"messages":[1]}]')).toBeNull();
    expect(outlineOf('{"messages":{"a":1}}')).toBeNull();
    expect(outlineOf('{"messages":[1]} {}')).toBeNull();
  });

  it('continues an outline over the new elements, and refuses what does not continue it', () => {
    const first = '{"messages":[{"a":1},{"b":"\\\\"}],"x":1}';
    const outline = outlineOf(first)!;
    const next = '{"messages":[{"a":1},{"b":"\\\\"},{"c":[]}],"x":1}';
    expect(continuedOutline(next, outline)!.ends.map((end) => next[end])).toEqual([',', ',', ']']);
    const spaced = '{"messages":[{"a":1},{"b":"\\\\"}\n ,\n {"c":[]}\n],"x":1}';
    expect(continuedOutline(spaced, outline)!.ends.map((end) => spaced.slice(end).trimStart()[0])).toEqual([
      ',',
      ',',
      ']',
    ]);
    expect(continuedOutline('{"messages":[{"a":1},{"b":"\\\\"}],"x":1}', outline)!.ends).toEqual(outline.ends);
    expect(continuedOutline('{"messages":[{"a":1},{"b":"\\\\"},],"x":1}', outline)).toBeNull();
    expect(continuedOutline('{"messages":[{"a":1},{"b":"\\\\"}],"messages":[]}', outline)).toBeNull();
  });
});
