import { AppException, ErrorCode } from '@app/common';

/**
 * Field readers for the engines' request bodies. Each throws a 400 naming the field, as the real
 * servers' pydantic validation does; absent fields give `undefined`.
 */
export function badRequest(message: string): AppException {
  return new AppException(400, ErrorCode.BAD_REQUEST, message);
}

export function asObject(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest(`${name} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

export function optionalNumber(
  obj: Record<string, unknown>,
  field: string,
  limits: { min?: number; max?: number; integer?: boolean; exclusiveMin?: number } = {},
): number | undefined {
  const value = obj[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw badRequest(`${field} must be a number`);
  if (limits.integer && !Number.isInteger(value)) throw badRequest(`${field} must be an integer`);
  if (limits.min !== undefined && value < limits.min)
    throw badRequest(`${field} must be >= ${limits.min}, got ${value}`);
  if (limits.exclusiveMin !== undefined && value <= limits.exclusiveMin) {
    throw badRequest(`${field} must be > ${limits.exclusiveMin}, got ${value}`);
  }
  if (limits.max !== undefined && value > limits.max)
    throw badRequest(`${field} must be <= ${limits.max}, got ${value}`);
  return value;
}

export function optionalBoolean(obj: Record<string, unknown>, field: string): boolean | undefined {
  const value = obj[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw badRequest(`${field} must be a boolean`);
  return value;
}

export function optionalString(obj: Record<string, unknown>, field: string, maxLength = 4096): string | undefined {
  const value = obj[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(`${field} must be a string`);
  if (value.length > maxLength) throw badRequest(`${field} is longer than ${maxLength} characters`);
  return value;
}

/** `stop`: a string or a list of strings. */
export function optionalStopStrings(obj: Record<string, unknown>, field: string): string[] {
  const value = obj[field];
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value.length > 0 ? [value] : [];
  if (!Array.isArray(value) || value.some((s) => typeof s !== 'string')) {
    throw badRequest(`${field} must be a string or a list of strings`);
  }
  if (value.length > 64) throw badRequest(`${field} may hold at most 64 strings`);
  return (value as string[]).filter((s) => s.length > 0);
}

/** A list of token ids, each checked against the vocabulary. */
export function tokenIdList(
  value: unknown,
  field: string,
  isValid: (id: number) => boolean,
  allowEmpty = false,
): number[] {
  if (!Array.isArray(value)) throw badRequest(`${field} must be a list of token ids`);
  if (!allowEmpty && value.length === 0) throw badRequest(`${field} must not be empty`);
  for (const id of value) {
    if (typeof id !== 'number' || !Number.isInteger(id)) throw badRequest(`${field} must contain integers only`);
    if (!isValid(id)) throw badRequest(`${field} contains token id ${id}, outside the vocabulary`);
  }
  return value as number[];
}
