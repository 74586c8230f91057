import { describe, expect, it } from '@jest/globals';
import { SizedLruMap } from './sized-lru-map.js';

const byLength = () => new SizedLruMap<string, string>(10, (value) => value.length);

describe(SizedLruMap.name, () => {
  it('keeps values while their sizes fit, the oldest set first out past the bound', () => {
    const map = byLength();
    map.set('a', 'aaaa');
    map.set('b', 'bbbb');
    map.set('c', 'cccc');
    expect(map.get('a')).toBeUndefined();
    expect([map.get('b'), map.get('c')]).toEqual(['bbbb', 'cccc']);
    expect(map.totalSize).toBe(8);
  });

  it('makes a key set again the newest, replacing its value and its size', () => {
    const map = byLength();
    map.set('a', 'aaaa');
    map.set('b', 'bbbb');
    map.set('a', 'aa');
    map.set('c', 'cccccc');
    expect(map.get('b')).toBeUndefined();
    expect([map.get('a'), map.get('c')]).toEqual(['aa', 'cccccc']);
    expect(map.totalSize).toBe(8);
  });

  it('does not keep a value larger than the whole bound (and drops the one it replaces)', () => {
    const map = byLength();
    map.set('a', 'aaaa');
    map.set('a', 'x'.repeat(11));
    expect(map.get('a')).toBeUndefined();
    expect(map.totalSize).toBe(0);
  });

  it('delete returns what it removed', () => {
    const map = byLength();
    map.set('a', 'aaaa');
    expect(map.delete('a')).toBe('aaaa');
    expect(map.delete('a')).toBeUndefined();
    expect(map.totalSize).toBe(0);
  });
});
