import { getMetadataStorage, MAX_LENGTH } from 'class-validator';

/**
 * Each property's `@MaxLength` as its DTO class declares it: a hand-written fast parser reads
 * its limits from here, so that the DTO (which the API documents) stays their one declaration.
 */
export function maxLengthsOf<T extends object>(dto: new () => T): Partial<Record<keyof T & string, number>> {
  const limits: Partial<Record<keyof T & string, number>> = {};
  for (const rule of getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false))
    if (rule.name === MAX_LENGTH) limits[rule.propertyName as keyof T & string] = Number(rule.constraints[0]);
  return limits;
}
