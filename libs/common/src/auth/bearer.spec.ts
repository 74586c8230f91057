import { describe, expect, it } from '@jest/globals';
import { constantTimeEquals, extractBearerToken } from './bearer.js';

describe('extractBearerToken', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer    abc  ', 'abc'],
    ['BEARER abc', 'abc'],
    ['Bearer ', ''],
  ])('reads %j as %j', (header, token) => {
    expect(extractBearerToken(header)).toBe(token);
  });

  it.each([[undefined], [''], ['Bearer'], ['Basic xyz'], ['Bearer\tabc'], ['Token abc']])('rejects %j', (header) => {
    expect(extractBearerToken(header)).toBeNull();
  });

  it('uses the first value of a repeated header', () => {
    expect(extractBearerToken(['Bearer one', 'Bearer two'])).toBe('one');
  });
});

describe('constantTimeEquals', () => {
  it('compares equal strings', () => {
    expect(constantTimeEquals('areal-admin-key', 'areal-admin-key')).toBe(true);
  });

  it('rejects different strings of the same and of different lengths', () => {
    expect(constantTimeEquals('areal-admin-kez', 'areal-admin-key')).toBe(false);
    expect(constantTimeEquals('short', 'areal-admin-key')).toBe(false);
    expect(constantTimeEquals('', 'areal-admin-key')).toBe(false);
  });

  it('handles non-ASCII input without throwing', () => {
    expect(constantTimeEquals('ключ', 'areal-admin-key')).toBe(false);
    expect(constantTimeEquals('ключ', 'ключ')).toBe(true);
    expect(constantTimeEquals('é', 'e\u0301')).toBe(false);
  });
});
