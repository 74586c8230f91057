import { describe, expect, it } from '@jest/globals';
import type { ArgumentMetadata } from '@nestjs/common';
import { applyDecorators } from '@nestjs/common';
import { IsBoolean, IsInt, IsNumber, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { BodyRules } from '@app/contracts';
import { AppException } from './app.exception.js';
import { BodyValidationPipe } from './validation.js';

class PlainBody {
  @IsInt() @Min(0) count!: number;
}

@BodyRules({ optional: true, invalidFieldStatus: 400 })
class OptionalBody {
  @IsOptional() @IsBoolean() strict?: boolean;
}

@BodyRules({ invalidFieldStatus: 400, unknownFields: 'reject' })
class StrictKeysBody {
  @IsOptional() @IsInt() size?: number;
}

/** Rules stacked by `applyDecorators` register in list order, not bottom-up. */
@BodyRules({ optional: true, invalidFieldStatus: 400 })
class StackedRulesBody {
  @applyDecorators(IsOptional(), IsString(), MaxLength(8)) name?: string;
  @applyDecorators(IsOptional(), IsNumber({ allowNaN: false }), Min(0), Max(60)) timeout?: number;
  @IsOptional() @IsInt() @Min(0) @Max(10) count?: number;
}

/** A subclass inherits its parent's rules. */
class InheritedOptionalBody extends OptionalBody {}

const pipe = new BodyValidationPipe();
const body = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype });

async function failure(value: unknown, metatype: ArgumentMetadata['metatype']): Promise<AppException> {
  try {
    await pipe.transform(value, body(metatype));
  } catch (err) {
    if (err instanceof AppException) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

describe(BodyValidationPipe.name, () => {
  it('validates a contract class: 422 with the issue list by default, unknown fields dropped', async () => {
    expect(await pipe.transform({ count: 2, extra: 1 }, body(PlainBody))).toEqual(
      Object.assign(new PlainBody(), { count: 2 }),
    );
    const err = await failure({ count: -1 }, PlainBody);
    expect([err.getStatus(), err.code]).toEqual([422, 'VALIDATION_FAILED']);
    expect(err.toBody().detail).toEqual([
      { loc: ['body', 'count'], msg: 'count must not be less than 0', type: 'min' },
    ]);
  });

  it('refuses an absent body unless the class says it is optional; a body that is not an object is 422 everywhere', async () => {
    expect((await failure(undefined, PlainBody)).getStatus()).toBe(422);
    expect(await pipe.transform(undefined, body(OptionalBody))).toEqual(new OptionalBody());
    expect(await pipe.transform(Buffer.alloc(0), body(InheritedOptionalBody))).toEqual(new InheritedOptionalBody());
    for (const value of [[1], 'text', 5]) expect((await failure(value, OptionalBody)).getStatus()).toBe(422);
  });

  it('a value of the wrong type hears of its type, however the rules were stacked; a value out of range hears of the range', async () => {
    expect((await failure({ name: 5 }, StackedRulesBody)).message).toBe('name must be a string');
    expect((await failure({ timeout: 'abc' }, StackedRulesBody)).message).toMatch(/^timeout must be a number/);
    expect((await failure({ count: 'x' }, StackedRulesBody)).message).toBe('count must be an integer number');
    expect((await failure({ name: 'a much longer name' }, StackedRulesBody)).message).toBe(
      'name must be shorter than or equal to 8 characters',
    );
    expect((await failure({ timeout: 61 }, StackedRulesBody)).message).toBe('timeout must not be greater than 60');
    expect((await failure({ count: 11 }, StackedRulesBody)).message).toBe('count must not be greater than 10');
  });

  it('answers 400 naming the field where the class asks for it, and refuses unknown fields where it says so', async () => {
    const err = await failure({ strict: 'yes' }, OptionalBody);
    expect([err.getStatus(), err.code, err.message]).toEqual([400, 'BAD_REQUEST', 'strict must be a boolean value']);
    const unknown = await failure({ size: 1, sise: 2 }, StrictKeysBody);
    expect([unknown.getStatus(), unknown.message]).toEqual([400, 'sise: property sise should not exist']);
  });

  it('parses raw JSON bytes (services that keep bodies raw): malformed is 400 MALFORMED_JSON', async () => {
    expect(await pipe.transform(Buffer.from('{"count":3}'), body(PlainBody))).toEqual(
      Object.assign(new PlainBody(), { count: 3 }),
    );
    const err = await failure(Buffer.from('{oops'), PlainBody);
    expect([err.getStatus(), err.code]).toEqual([400, 'MALFORMED_JSON']);
  });

  it('leaves bodies typed `unknown` (hand-read hot paths, relays) and other parameters alone', async () => {
    const raw = Buffer.from('not json');
    expect(await pipe.transform(raw, body(Object))).toBe(raw);
    expect(await pipe.transform('abc', { type: 'param', metatype: String, data: 'id' })).toBe('abc');
  });
});
