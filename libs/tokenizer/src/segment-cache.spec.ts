import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { HfTokenizer } from './hf-tokenizer.js';
import { SegmentEncodingCache } from './segment-cache.js';

const GOLDEN_DIR = new URL('../../../apps/data-proxy/src/tokenization/golden/', import.meta.url);

describe(SegmentEncodingCache.name, () => {
  let tokenizer: HfTokenizer;
  let cache: SegmentEncodingCache;

  beforeAll(async () => {
    tokenizer = await HfTokenizer.load();
    cache = new SegmentEncodingCache(tokenizer, ['<|im_start|>', '<|im_end|>']);
  });

  const prompts = () => [
    ...readdirSync(GOLDEN_DIR)
      .filter((f) => f.endsWith('.txt'))
      .map((f) => readFileSync(new URL(f, GOLDEN_DIR), 'utf8')),
    '<|im_start|>user\n<think>\nx\n</think>\n\n<tool_call>\n{"a": 1}\n</tool_call><|im_end|>\n<|im_start|>assistant\n',
    'no markers at all, café 東京',
    '<|im_end|><|im_end|>\n\n<|im_start|>',
    '',
  ];

  it('encodes exactly like the tokenizer on whole prompts, cold and warm', async () => {
    for (const pass of [1, 2]) {
      for (const prompt of prompts()) {
        expect(await cache.encode(prompt)).toEqual(await tokenizer.encode(prompt, false));
      }
      expect(pass === 1 || cache.size > 0).toBe(true);
    }
  });

  it('keeps at most maxEntries pieces', async () => {
    const small = new SegmentEncodingCache(tokenizer, ['<|im_start|>', '<|im_end|>'], 2);
    for (const word of ['a', 'b', 'c', 'd']) await small.encode(`<|im_start|>${word}<|im_end|>`);
    expect(small.size).toBe(2);
  });
});
