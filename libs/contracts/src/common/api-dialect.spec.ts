import { describe, expect, it } from '@jest/globals';
import { apiDialectOf, dialectErrorBody, streamDialectOf, streamErrorEvent } from './api-dialect.js';

describe('each agent API answers errors in its SDK’s shape', () => {
  it('by path', () => {
    expect(['/v1/messages', '/v1/messages/count_tokens'].map(apiDialectOf)).toEqual(['anthropic', 'anthropic']);
    expect(['/v1/responses', '/responses', '/v1/completions', '/completions'].map(apiDialectOf)).toEqual([
      'openai',
      'openai',
      'openai',
      'openai',
    ]);
    // Chat: OpenAI's shape plus the reference's detail (AReaL's tooling reads it).
    expect(['/v1/chat/completions', '/chat/completions'].map(apiDialectOf)).toEqual(['chat', 'chat']);
    expect(apiDialectOf('/rl/set_reward')).toBeNull();
  });

  it('bodies: Anthropic error types by status, OpenAI error objects', () => {
    expect(dialectErrorBody('anthropic', 401, 'no key', 'UNAUTHENTICATED')).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'no key' },
      code: 'UNAUTHENTICATED',
    });
    expect((dialectErrorBody('anthropic', 503, 'paused', 'X').error as { type: string }).type).toBe('overloaded_error');
    expect((dialectErrorBody('anthropic', 502, 'engine', 'X').error as { type: string }).type).toBe('api_error');
    expect(dialectErrorBody('openai', 404, 'gone', 'previous_response_not_found')).toEqual({
      error: { message: 'gone', type: 'invalid_request_error', param: null, code: 'previous_response_not_found' },
    });
    expect(dialectErrorBody('chat', 400, 'top_p must be <= 1, got 2', 'BAD_REQUEST', 'top_p')).toEqual({
      error: {
        message: 'top_p must be <= 1, got 2',
        type: 'invalid_request_error',
        param: 'top_p',
        code: 'BAD_REQUEST',
      },
      detail: 'top_p must be <= 1, got 2',
      code: 'BAD_REQUEST',
    });
  });

  it('mid-stream error events', () => {
    expect(streamErrorEvent(streamDialectOf('/v1/messages'), 502, 'down', 'UPSTREAM_UNAVAILABLE')).toEqual({
      event: 'error',
      data: { type: 'error', error: { type: 'api_error', message: 'down' }, code: 'UPSTREAM_UNAVAILABLE' },
    });
    expect(streamErrorEvent(streamDialectOf('/responses'), 502, 'down', 'X')).toEqual({
      event: 'error',
      data: { type: 'error', code: 'X', message: 'down', param: null },
    });
    expect(streamErrorEvent(streamDialectOf('/v1/completions'), 502, 'down', 'X')).toEqual({
      event: null,
      data: { error: { message: 'down', type: 'server_error', param: null, code: 'X' } },
    });
  });
});
