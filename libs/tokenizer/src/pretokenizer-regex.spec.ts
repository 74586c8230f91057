import { describe, expect, it } from '@jest/globals';
import { translatePretokenizerPattern } from './pretokenizer-regex.js';

function source(pattern: string): string {
  const translated = translatePretokenizerPattern(pattern);
  if ('unsupported' in translated) throw new Error(translated.unsupported);
  return translated.source;
}

describe(translatePretokenizerPattern.name, () => {
  it('makes (?i:...) a group whose letters match everything that case-folds to them, as Oniguruma does', () => {
    for (const letter of 'abcdefghijklmnopqrstuvwxyz') {
      const ours = new RegExp(`^${source(`(?i:${letter})`)}$`, 'u');
      const folding = new RegExp(`^${letter}$`, 'iu');
      for (let cp = 0; cp <= 0xffff; cp++) {
        const char = String.fromCharCode(cp);
        if (ours.test(char) !== folding.test(char)) throw new Error(`${letter} vs U+${cp.toString(16)}`);
      }
    }
    expect(source("(?i:'s|'ll)")).toBe("(?:'[sSſ]|'[lL][lL])");
  });

  it('gives \\s and \\S the White_Space property (U+0085 in, U+FEFF out)', () => {
    const space = new RegExp(source('\\s+'), 'u');
    expect(space.test('\u0085')).toBe(true);
    expect(space.test('\ufeff')).toBe(false);
    expect(new RegExp(source('[^\\s\\p{L}]'), 'u').test('\u0085')).toBe(false);
    expect(new RegExp(`^${source('\\S')}$`, 'u').test('\ufeff')).toBe(true);
  });

  it('makes . stop only at \\n', () => {
    expect(new RegExp(`^${source('a.b')}$`, 'u').test('a\rb')).toBe(true);
    expect(new RegExp(`^${source('a.b')}$`, 'u').test('a\nb')).toBe(false);
  });

  it.each(['^abc', 'abc$', '\\w+', '\\d', '\\bx', '[a[b]]', '[a&&b]', '(?i)abc', '(?<name>x)', '(?i:[a-z])', '(a'])(
    'refuses %j',
    (pattern) => {
      expect(translatePretokenizerPattern(pattern)).toHaveProperty('unsupported');
    },
  );

  it('translates the patterns of the shipped families', () => {
    for (const pattern of [
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
      '[!"#$%&\'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+',
    ])
      expect(translatePretokenizerPattern(pattern)).toHaveProperty('source');
  });
});
