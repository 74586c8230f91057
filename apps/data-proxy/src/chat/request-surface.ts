import { AppException, ErrorCode } from '@app/common';
import {
  fieldHandling,
  isAllowedValue,
  type FieldHandling,
  type FieldRule,
  type HandlingTable,
  type RequestSurface,
} from '@app/contracts';

/** A 400 in the API's error shape, naming the field at fault (OpenAI's `param`). */
export function badRequest(message: string, param?: string): AppException {
  return new AppException(400, ErrorCode.BAD_REQUEST, message, param === undefined ? {} : { param });
}

/**
 * Checks every field of a request against its API's handling table, before anything reads them:
 * a field no table names is refused (as OpenAI and Anthropic refuse unrecognized arguments), a
 * refused field is refused unless it holds one of its allowed values, and every field with a
 * value rule must satisfy it. Null counts as absent, as the SDKs send it. Costs one table lookup
 * per field present; nothing is allocated unless the request is refused.
 */
export function checkRequestFields(body: Record<string, unknown>, surface: RequestSurface): void {
  for (const field in body) {
    const value = body[field];
    const entry = fieldHandling(surface, field);
    if (entry === undefined) throw badRequest(`Unrecognized request argument supplied: ${field}`, field);
    if (value === null || value === undefined) continue;
    checkValue(entry, value, field);
  }
}

/** One value against its handling: refused unless allowed; else its rule, if it has one. */
export function checkValue(entry: FieldHandling, value: unknown, field: string): void {
  if (entry.handling === 'refused') {
    if (isAllowedValue(entry, value)) return;
    throw badRequest(`${field}: ${entry.note}`, field);
  }
  if (entry.rule) checkRule(entry.rule, value, field);
}

function checkRule(rule: FieldRule, value: unknown, field: string): void {
  switch (rule.type) {
    case 'boolean':
      if (typeof value !== 'boolean') throw badRequest(`${field} must be a boolean`, field);
      return;
    case 'string':
      if (typeof value !== 'string') throw badRequest(`${field} must be a string`, field);
      if (rule.maxLength !== undefined && value.length > rule.maxLength)
        throw badRequest(`${field} is longer than ${rule.maxLength} characters`, field);
      return;
    case 'object':
      if (typeof value !== 'object' || Array.isArray(value)) throw badRequest(`${field} must be an object`, field);
      return;
    case 'array':
      if (!Array.isArray(value)) throw badRequest(`${field} must be a list`, field);
      return;
    case 'number':
    case 'integer':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw badRequest(`${field} must be a number`, field);
      if (rule.type === 'integer' && !Number.isSafeInteger(value))
        throw badRequest(`${field} must be an integer`, field);
      if (rule.min !== undefined && value < rule.min)
        throw badRequest(`${field} must be >= ${rule.min}, got ${value}`, field);
      if (rule.max !== undefined && value > rule.max)
        throw badRequest(`${field} must be <= ${rule.max}, got ${value}`, field);
      return;
  }
}

/**
 * A value of a kind table (a role, a content part type, a tool type …) at `where`: its handling,
 * after refusing unknown and refused values with a 400 that names the place and what is supported.
 */
export function checkKind(table: HandlingTable, kind: unknown, where: string, what: string): FieldHandling {
  const entry = typeof kind === 'string' && Object.prototype.hasOwnProperty.call(table, kind) ? table[kind] : undefined;
  if (entry === undefined) {
    const supported = Object.keys(table).filter((k) => table[k].handling !== 'refused');
    throw badRequest(
      `${where}: ${what} ${JSON.stringify(kind ?? null)} is not supported (supported: ${supported.join(', ')})`,
      where,
    );
  }
  if (entry.handling === 'refused') throw badRequest(`${where}: ${what} ${String(kind)}: ${entry.note}`, where);
  return entry;
}
