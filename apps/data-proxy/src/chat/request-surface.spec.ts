import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AppException } from '@app/common';
import {
  CHAT_SURFACE,
  ChatCompletionRequestDto,
  COMPLETIONS_SURFACE,
  MESSAGES_SURFACE,
  MessagesRequestDto,
  RESPONSES_SURFACE,
  ResponsesRequestDto,
  TextCompletionRequestDto,
  type FieldHandling,
  type RequestSurface,
} from '@app/contracts';
import { parseCompletionsRequest } from '../completions/completions-request.js';
import { parseMessagesRequest } from '../messages/messages-request.js';
import { parseResponsesRequest } from '../responses/responses-request.js';
import { parseChatRequest } from './chat-request.js';

/**
 * One source of truth for what a request may hold: each API's handling table. The hand parser on
 * the hot path and the request DTO (class-validator, what Swagger documents) both take their rules
 * from it; here they are fed the same inputs and must accept and refuse the same ones.
 */
interface Api {
  name: string;
  surface: RequestSurface;
  dto: new () => object;
  /** A minimal valid request, to which one field at a time is added. */
  base: Record<string, unknown>;
  parse: (body: unknown) => unknown;
}

const APIS: Api[] = [
  {
    name: 'chat',
    surface: CHAT_SURFACE,
    dto: ChatCompletionRequestDto,
    base: { messages: [{ role: 'user', content: 'hi' }], logprobs: true },
    parse: parseChatRequest,
  },
  {
    name: 'responses',
    surface: RESPONSES_SURFACE,
    dto: ResponsesRequestDto,
    base: { input: 'hi' },
    parse: (body) => parseResponsesRequest(body),
  },
  {
    name: 'messages',
    surface: MESSAGES_SURFACE,
    dto: MessagesRequestDto,
    base: { max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] },
    parse: (body) => parseMessagesRequest(body),
  },
  {
    name: 'completions',
    surface: COMPLETIONS_SURFACE,
    dto: TextCompletionRequestDto,
    base: { prompt: 'hi' },
    parse: (body) => parseCompletionsRequest(body, 1000),
  },
];

/** Values that probe a field's rule at its edges and with the wrong types. */
function candidates(entry: FieldHandling): unknown[] {
  if (entry.handling === 'refused') return [...(entry.allowed ?? []), 'zzz', 12345, true, null];
  const rule = entry.rule;
  if (!rule) return [null];
  switch (rule.type) {
    case 'boolean':
      return [true, false, 'true', 1, null];
    case 'string':
      return [
        'x',
        5,
        ...(rule.maxLength !== undefined ? ['x'.repeat(rule.maxLength), 'x'.repeat(rule.maxLength + 1)] : []),
        null,
      ];
    // Structured values are checked further by the parser (and by the shape suite); here their type.
    case 'object':
      return ['x', 5, [], null];
    case 'array':
      return ['x', 5, {}, null];
    case 'number':
    case 'integer': {
      const values: unknown[] = ['1', true, null, 2 ** 53, -(2 ** 53)];
      if (rule.min !== undefined) values.push(rule.min, rule.min - 1, rule.min - 0.001);
      if (rule.max !== undefined) values.push(rule.max, rule.max + 1, rule.max + 0.001);
      if (rule.type === 'integer') values.push((rule.min ?? 0) + 1.5);
      else values.push(((rule.min ?? 0) + (rule.max ?? 1)) / 2);
      return values;
    }
  }
}

/** Whether the parser refuses `field` (a 400 naming it, or a part of it). */
function parserRefuses(api: Api, field: string, value: unknown): boolean {
  try {
    api.parse({ ...api.base, [field]: value });
    return false;
  } catch (err) {
    if (!(err instanceof AppException) || err.getStatus() !== 400) throw err;
    const param = err.details.param ?? '';
    if (param === field || param.startsWith(`${field}.`) || param.startsWith(`${field}[`)) return true;
    throw new Error(`${api.name}: ${field}=${JSON.stringify(value)} refused for another field: ${err.message}`, {
      cause: err,
    });
  }
}

function dtoRefuses(api: Api, field: string, value: unknown): boolean {
  const instance = plainToInstance(api.dto, { ...api.base, [field]: value });
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true });
  return errors.some((error) => error.property === field);
}

describe('each hot-path request parser and its DTO accept and refuse the same inputs', () => {
  for (const api of APIS) {
    const fields = { ...api.surface.fields, ...api.surface.extensions } as Record<string, FieldHandling>;
    const cases = Object.entries(fields).flatMap(([field, entry]) =>
      candidates(entry).map((value) => [field, value] as const),
    );

    it(`${api.name}: ${cases.length} field values, the same verdict from parser and DTO`, () => {
      const disagreements = cases
        .map(([field, value]) => ({
          field,
          value,
          parser: parserRefuses(api, field, value),
          dto: dtoRefuses(api, field, value),
        }))
        .filter((c) => c.parser !== c.dto)
        .map(
          (c) =>
            `${c.field}=${JSON.stringify(c.value)}: parser ${c.parser ? 'refuses' : 'accepts'}, DTO ${c.dto ? 'refuses' : 'accepts'}`,
        );
      expect(disagreements).toEqual([]);
      // And the probes are not vacuous: both refuse some and accept some.
      expect(cases.some(([field, value]) => parserRefuses(api, field, value))).toBe(true);
      expect(cases.some(([field, value]) => !parserRefuses(api, field, value))).toBe(true);
    });

    it(`${api.name}: a field no table names is refused by both`, () => {
      expect(parserRefuses(api, 'frobnicate', 1)).toBe(true);
      expect(dtoRefuses(api, 'frobnicate', 1)).toBe(true);
    });
  }
});

describe('the chat sampling fields: parser and DTO agree on both sides of each bound', () => {
  const chat = APIS.find((api) => api.name === 'chat')!;
  const fields = { ...chat.surface.fields, ...chat.surface.extensions } as Record<string, FieldHandling>;

  it.each(['temperature', 'top_p', 'top_k', 'max_tokens', 'n'])('%s', (field) => {
    const verdicts = candidates(fields[field]).map((value) => ({
      value,
      parser: parserRefuses(chat, field, value),
      dto: dtoRefuses(chat, field, value),
    }));
    expect(verdicts.filter((v) => v.parser !== v.dto)).toEqual([]);
    // Each field's probes include values both refuse and values both accept.
    expect(verdicts.some((v) => v.parser)).toBe(true);
    expect(verdicts.some((v) => !v.parser)).toBe(true);
  });
});
