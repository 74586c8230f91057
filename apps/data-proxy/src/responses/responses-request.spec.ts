import { describe, expect, it } from '@jest/globals';
import { AppException } from '@app/common';
import { parseResponsesRequest } from './responses-request.js';

/** The 400's `param`, or a failure when the request was accepted. */
function refusedParam(body: Record<string, unknown>): string | undefined {
  try {
    parseResponsesRequest(body);
  } catch (error) {
    expect(error).toBeInstanceOf(AppException);
    const exception = error as AppException;
    expect(exception.getStatus()).toBe(400);
    return exception.details.param;
  }
  throw new Error('accepted');
}

describe('parseResponsesRequest: the keys inside text and reasoning', () => {
  it('accepts every key of the SDK types', () => {
    const request = parseResponsesRequest({
      input: 'hi',
      text: { format: { type: 'json_object' } },
      reasoning: { effort: 'low', summary: 'auto', generate_summary: null, context: 'auto', mode: 'standard' },
    });
    expect(request.chat.sampling.constraint).toEqual({ kind: 'json_object' });
    expect(request.echo.text).toEqual({ format: { type: 'json_object' } });
  });

  it.each([
    [{ text: { format: { type: 'text' }, schema: {} } }, 'text.schema'],
    [{ text: { type: 'json_object' } }, 'text.type'],
    [{ reasoning: { effort: 'low', budget_tokens: 100 } }, 'reasoning.budget_tokens'],
    [{ text: { verbosity: 'low' } }, 'text.verbosity'],
    [{ reasoning: { context: 'all_turns' } }, 'reasoning.context'],
    [{ reasoning: { mode: 'pro' } }, 'reasoning.mode'],
  ])('refuses an unknown key or a refused value, naming it: %j', (fields, param) => {
    expect(refusedParam({ input: 'hi', ...fields })).toBe(param);
  });
});

describe('parseResponsesRequest: reasoning.effort in the chat template', () => {
  it('"none" turns thinking off', () => {
    expect(parseResponsesRequest({ input: 'hi', reasoning: { effort: 'none' } }).chat.templateKwargs).toEqual({
      enable_thinking: false,
    });
  });

  it("low/medium/high turn thinking on and reach gpt-oss's reasoning_effort", () => {
    expect(parseResponsesRequest({ input: 'hi', reasoning: { effort: 'medium' } }).chat.templateKwargs).toEqual({
      enable_thinking: true,
      reasoning_effort: 'medium',
    });
  });
});
