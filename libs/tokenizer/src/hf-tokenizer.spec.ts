import { beforeAll, describe, expect, it } from '@jest/globals';
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

  it('validates ids', () => {
    expect(tokenizer.isValidId(0)).toBe(true);
    expect(tokenizer.isValidId(-1)).toBe(false);
    expect(tokenizer.isValidId(10_000_000)).toBe(false);
    expect(tokenizer.isValidId(1.5)).toBe(false);
  });
});
