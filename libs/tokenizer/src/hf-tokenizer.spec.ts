import { beforeAll, describe, expect, it } from '@jest/globals';
import { StringDecoder } from 'node:string_decoder';
import { BYTE_TO_UNICODE } from './byte-level.js';
import { HfTokenizer } from './hf-tokenizer.js';

describe(HfTokenizer.name, () => {
  let tokenizer: HfTokenizer;

  beforeAll(async () => {
    tokenizer = await HfTokenizer.load();
  });

  it('loads the built-in Qwen3 tokenizer with its EOS and chat template', () => {
    expect(tokenizer.eosTokenId).toBe(151645);
    expect(tokenizer.tokenToId('<|im_start|>')).toBe(151644);
    expect(tokenizer.vocabSize).toBeGreaterThan(151000);
    expect(tokenizer.chatTemplate).toContain('<|im_start|>');
    expect(tokenizer.specialIds.has(151645)).toBe(true);
  });

  it('encodes like transformers: known Qwen ids for a chat turn', async () => {
    expect(await tokenizer.encode('<|im_start|>user\nHello<|im_end|>\n')).toEqual([
      151644, 872, 198, 9707, 151645, 198,
    ]);
  });

  it.each([
    'Hello, world!',
    'naïve café — 東京 🚀 emoji and Ünïcödé',
    '<think>\nreasoning\n</think>\n\nanswer',
    '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>',
    '  leading spaces\ttabs\r\nand newlines\n\n',
  ])('decodes synchronously exactly like the native decoder: %j', async (text) => {
    const ids = await tokenizer.encode(text);
    expect(tokenizer.decode(ids)).toBe(await tokenizer.decodeNative(ids));
    expect(tokenizer.decode(ids)).toBe(text);
  });

  it('skips special tokens on request', async () => {
    const ids = await tokenizer.encode('<|im_start|>assistant\nHi<|im_end|>');
    expect(tokenizer.decode(ids, true)).toBe(await tokenizer.decodeNative(ids, true));
  });

  it('streams text without splitting multi-byte characters', async () => {
    const text = '東京 🚀 ok';
    const ids = await tokenizer.encode(text);
    const stream = tokenizer.streamDecoder();
    const deltas = ids.map((id) => stream.push(id));
    expect(deltas.join('') + stream.end()).toBe(text);
    for (const delta of deltas) expect(delta).not.toContain('\uFFFD');
  });

  it('streams exactly what a UTF-8 decoder fed every token makes, whatever the bytes (partial, stray, invalid)', async () => {
    // A pool of ids: whole words, characters of several bytes, each single byte (the byte-level
    // tokens: halves of characters, stray continuation bytes, bytes that never start one), specials.
    const words = await tokenizer.encode('Hello wörld, 東京 🚀 <think> x\n</think>');
    const singleBytes = BYTE_TO_UNICODE.map((char) => tokenizer.tokenToId(char) as number);
    const pool = [...words, ...singleBytes, 151645, 151644, 10_000_000, -1];
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let run = 0; run < 400; run++) {
      const ids = Array.from({ length: 1 + random(24) }, () =>
        random(3) === 0 ? singleBytes[random(256)] : pool[random(pool.length)],
      );
      for (const skip of [false, true]) {
        const stream = tokenizer.streamDecoder(skip);
        const reference = new StringDecoder('utf8');
        for (const id of ids) {
          const expected =
            skip && tokenizer.specialIds.has(id) ? '' : reference.write(Buffer.from(tokenizer.tokenBytes(id)));
          expect([run, id, stream.push(id)]).toEqual([run, id, expected]);
        }
        expect(stream.end()).toBe(reference.end());
        // A decoder used again after end() starts afresh.
        expect(stream.push(words[0])).toBe(tokenizer.decode([words[0]]));
      }
    }
  });

  it('gives a token as text only when its bytes are whole characters', () => {
    const firstByteOfE = tokenizer.tokenToId(BYTE_TO_UNICODE[0xc3]) as number;
    expect(tokenizer.tokenText(firstByteOfE)).toBeNull();
    expect([...tokenizer.tokenBytes(firstByteOfE)]).toEqual([0xc3]);
    expect(tokenizer.tokenText(9707)).toBe('Hello');
    expect(tokenizer.tokenText(151645)).toBe('<|im_end|>');
    expect(tokenizer.tokenText(-1)).toBe('');
  });

  it('validates ids', () => {
    expect(tokenizer.isValidId(0)).toBe(true);
    expect(tokenizer.isValidId(-1)).toBe(false);
    expect(tokenizer.isValidId(10_000_000)).toBe(false);
    expect(tokenizer.isValidId(1.5)).toBe(false);
  });
});
