import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsNumber, IsOptional, IsString, MaxLength, Min } from 'class-validator';

// Validator stacks that several DTOs declare for fields with the same meaning, written once so the
// same field is refused the same way on every endpoint that takes it.

/** An optional string of at most `maxLength` characters (absent or null: not given). */
export function OptionalString(maxLength: number): PropertyDecorator {
  return applyDecorators(IsOptional(), IsString(), MaxLength(maxLength));
}

/** An optional flag: true or false (absent or null: the endpoint's default). */
export function OptionalBoolean(): PropertyDecorator {
  return applyDecorators(IsOptional(), IsBoolean());
}

const DISCOUNT_REFUSAL = 'discount must be a non-negative number';

/** A reward discount along a trajectory: a finite number ≥ 0 (absent: the default). */
export function OptionalDiscount(): PropertyDecorator {
  return applyDecorators(
    IsOptional(),
    IsNumber({ allowNaN: false, allowInfinity: false }, { message: DISCOUNT_REFUSAL }),
    Min(0, { message: DISCOUNT_REFUSAL }),
  );
}

/**
 * An optional choice among `values` (absent: the endpoint's default), documented with them and
 * `doc` (its default, a description); `refusal` words the 400.
 */
export function OptionalOneOf(
  values: readonly string[],
  doc: Omit<ApiPropertyOptions, 'enum'> = {},
  refusal?: string,
): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ enum: values as string[], ...doc } as ApiPropertyOptions),
    IsOptional(),
    IsIn(values, refusal === undefined ? undefined : { message: refusal }),
  );
}
