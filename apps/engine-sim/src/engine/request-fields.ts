import { AppException, ErrorCode, fieldReaders } from '@app/common';

/**
 * Field readers for the engines' request bodies. Each throws a 400 naming the field, as the real
 * servers do; absent fields give `undefined`.
 */
export function badRequest(message: string): AppException {
  return new AppException(400, ErrorCode.BAD_REQUEST, message);
}

const fields = fieldReaders(badRequest);

/** The shared readers (`@app/common` `fieldReaders`), bound to the engines' 400. */
export const asObject = fields.object;
export const optionalNumber = fields.number;
export const optionalBoolean = fields.boolean;
export const optionalString = fields.string;
/** `stop`: a string or a list of strings (at most 64, as SGLang). */
export const optionalStopStrings = (obj: Record<string, unknown>, field: string): string[] =>
  fields.stopStrings(obj, field, 64);

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
