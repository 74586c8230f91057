import { describe, expect, it } from '@jest/globals';
import { forwardRequestHeaders, responseHeaders } from './headers.js';

describe('forwardRequestHeaders', () => {
  it('keeps the caller’s headers and Authorization, drops hop-by-hop ones and those Connection names', () => {
    expect(
      forwardRequestHeaders({
        authorization: 'Bearer k',
        'content-type': 'application/json',
        host: 'gw',
        'content-length': '10',
        connection: 'keep-alive, x-hop',
        'x-hop': 'drop',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        'proxy-authorization': 'x',
        'x-custom': 'keep',
        'set-cookie': ['a', 'b'],
      }),
    ).toEqual({
      authorization: 'Bearer k',
      'content-type': 'application/json',
      'x-custom': 'keep',
      'set-cookie': ['a', 'b'],
    });
  });
});

describe('responseHeaders', () => {
  it('passes back a safe allow-list only', () => {
    expect(responseHeaders({ 'retry-after': '3', 'x-internal': 'secret', 'set-cookie': ['x'] })).toEqual({
      'retry-after': '3',
    });
  });
});
