import { TokenByteTable, utf8Need } from './token-byte-table.js';

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('TokenByteTable', () => {
  // id 0 "he", 1 "llo", 2 missing, 3 empty, 4 the first two bytes of "é", 5 its last byte, 6 "<|end|>"
  const table = TokenByteTable.from([
    utf8('he'),
    utf8('llo'),
    undefined,
    Buffer.alloc(0),
    Buffer.from([0xc3]),
    Buffer.from([0xa9]),
    utf8('<|end|>'),
  ]);

  it('finds each token by id, and knows the ids with no token', () => {
    expect(table.size).toBe(7);
    expect(table.bytesOf(1).toString('utf8')).toBe('llo');
    expect([...table.bytesOf(4)]).toEqual([0xc3]);
    for (const id of [0, 1, 3, 6]) expect(table.has(id)).toBe(true);
    for (const id of [2, 7, -1, 1.5, Number.NaN, 2 ** 32]) {
      expect(table.has(id)).toBe(false);
      expect(table.bytesOf(id).length).toBe(0);
    }
    expect(table.bytesOf(3).length).toBe(0);
  });

  it('decodes ids written one after the other, leaving out missing ids and the ones asked', () => {
    expect(table.decode([0, 1])).toBe('hello');
    expect(table.decode([0, 2, 3, 1, 99, -4])).toBe('hello');
    expect(table.decode([0, 1, 6], new Set([6]))).toBe('hello');
    expect(table.decode([6], new Set([6]))).toBe('');
    expect(table.decode([6])).toBe('<|end|>');
    expect(table.decode([])).toBe('');
    expect(table.decode([2])).toBe('');
  });

  it('joins a character split across tokens, and replaces invalid UTF-8 as Python does', () => {
    expect(table.decode([0, 4, 5])).toBe('heé');
    expect(table.decode([4])).toBe('\ufffd');
    expect(table.decode([5, 0])).toBe('\ufffdhe');
    // The same as decoding the joined bytes at once.
    expect(table.decode([4, 1])).toBe(Buffer.concat([Buffer.from([0xc3]), utf8('llo')]).toString('utf8'));
  });

  it('copies what it is given (a caller may reuse its buffers)', () => {
    const source = utf8('abc');
    const copied = TokenByteTable.from([source]);
    source[0] = 0x7a;
    expect(copied.decode([0])).toBe('abc');
  });

  it('gives a token as text when its bytes are whole characters, else null', () => {
    expect(table.textOf(1)).toBe('llo');
    expect(table.textOf(6)).toBe('<|end|>');
    expect(table.textOf(4)).toBeNull();
    expect(table.textOf(5)).toBeNull();
    expect(table.textOf(2)).toBe('');
    expect(table.textOf(3)).toBe('');
    const long = TokenByteTable.from([utf8('x'.repeat(40)), utf8('東京'), utf8('naïve and more than sixteen bytes')]);
    expect(long.textOf(0)).toBe('x'.repeat(40));
    expect(long.textOf(1)).toBe('東京');
    expect(long.textOf(2)).toBe('naïve and more than sixteen bytes');
  });
});

describe('utf8Need', () => {
  const need = (before: number, bytes: number[]): number => utf8Need(before, Uint8Array.from(bytes));

  it('counts the continuation bytes a character still needs', () => {
    expect(need(0, [0x61, 0x62])).toBe(0);
    expect(need(0, [0xc3])).toBe(1);
    expect(need(1, [0xa9])).toBe(0);
    expect(need(0, [0xe6, 0x9d])).toBe(1);
    expect(need(0, [0xf0, 0x9f, 0x9a])).toBe(1);
    expect(need(1, [0x80, 0x61])).toBe(0);
  });

  it('says -1 for bytes that are not UTF-8, and stays there', () => {
    expect(need(0, [0x80])).toBe(-1); // a continuation byte with no character open
    expect(need(1, [0x61])).toBe(-1); // a character left unfinished
    for (const lead of [0xc0, 0xc1, 0xf5, 0xff]) expect(need(0, [lead])).toBe(-1);
    expect(need(-1, [0x61])).toBe(-1);
  });
});
