import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import {
  IsDefined,
  IsArray,
  IsBoolean,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateBy,
} from 'class-validator';

/**
 * What the service does with one part of an agent API's request: a body field, a message role, a
 * content part type, a tool type. Every one is declared, because an agent that is not told
 * otherwise believes the model did what it asked:
 *
 * - `honored`: it has its meaning here (forwarded to the engine, applied to the template or the
 *   answer) and what it changes is recorded;
 * - `refused`: a 400 naming it, in the API's own error shape (except the `allowed` values, which
 *   mean "the default" and change nothing);
 * - `ignored`: accepted without effect, because it cannot change what the model generates here
 *   (billing, caching, tracing fields); documented, never silent.
 */
export type Handling = 'honored' | 'refused' | 'ignored';

/**
 * The value rule of a scalar field: what the hand parser on the hot path enforces and what the
 * request DTO validates (both read it from here, and a test feeds both the same inputs).
 */
export type FieldRule =
  | { type: 'number'; min?: number; max?: number }
  | { type: 'integer'; min?: number; max?: number }
  | { type: 'boolean' }
  | { type: 'string'; maxLength?: number }
  | { type: 'object' }
  | { type: 'array' };

export interface FieldHandling {
  readonly handling: Handling;
  /** What happens, in one sentence (Swagger and docs/COMPATIBILITY.md show it). */
  readonly note: string;
  readonly rule?: FieldRule;
  /**
   * Refused fields: the values that are accepted anyway (each the default, changing nothing); a
   * list value is accepted when it holds only these (`modalities: ["text"]`).
   */
  readonly allowed?: readonly (string | number | boolean)[];
}

/** Whether a refused field's value is one of its allowed ones (see `FieldHandling.allowed`). */
export function isAllowedValue(entry: FieldHandling, value: unknown): boolean {
  const allowed = entry.allowed;
  if (!allowed || allowed.length === 0) return false;
  if (Array.isArray(value)) return value.length > 0 && value.every((item) => allowed.includes(item as never));
  return allowed.includes(value as never);
}

export const honored = (note: string, rule?: FieldRule): FieldHandling => ({ handling: 'honored', note, rule });
export const ignored = (note: string, rule?: FieldRule): FieldHandling => ({ handling: 'ignored', note, rule });
export const refused = (note: string, allowed?: readonly (string | number | boolean)[]): FieldHandling => ({
  handling: 'refused',
  note,
  allowed,
});

/** An extension table may not redeclare a field of the SDK's request type `T`. */
export type NotIn<T> = Partial<Record<keyof T, never>>;

/** Any table: a name (field, role, part type) → its handling. */
export type HandlingTable = Readonly<Record<string, FieldHandling>>;

/** One API's request surface: the official SDK's fields, the engine extensions it takes, and the value tables. */
export interface RequestSurface {
  /** The API, as COMPATIBILITY.md titles it. */
  readonly api: string;
  /** Fields of the official SDK's request type, every one. */
  readonly fields: HandlingTable;
  /** Fields the official SDK does not declare that this service takes (SGLang/vLLM extensions, older SDKs). */
  readonly extensions: HandlingTable;
  /** Tables of values (roles, content part types, tool types …), by what they classify. */
  readonly kinds: Readonly<Record<string, HandlingTable>>;
}

/**
 * One API's request surface, checked against the official SDK's request type `T`: its fields table
 * names every field of `T` (a field a new SDK version adds is a type error until someone decides
 * what it does; the table's own `satisfies Record<keyof T, FieldHandling>` also refuses a field `T`
 * lacks), and its extensions table redeclares none of them.
 */
export const requestSurface =
  <T>() =>
  <const S extends RequestSurface & { fields: Record<keyof T, FieldHandling>; extensions: NotIn<T> }>(surface: S): S =>
    surface;

/** The handling of a request field, or undefined for a field no table names (refused as unrecognized). */
export function fieldHandling(surface: RequestSurface, field: string): FieldHandling | undefined {
  return Object.prototype.hasOwnProperty.call(surface.fields, field)
    ? surface.fields[field]
    : Object.prototype.hasOwnProperty.call(surface.extensions, field)
      ? surface.extensions[field]
      : undefined;
}

/** How many entries of each handling a surface declares (fields, extensions and kinds together). */
export function handlingCounts(surface: RequestSurface): Record<Handling, number> {
  const counts: Record<Handling, number> = { honored: 0, refused: 0, ignored: 0 };
  const tables = [surface.fields, surface.extensions, ...Object.values(surface.kinds)];
  for (const table of tables) for (const entry of Object.values(table)) counts[entry.handling]++;
  return counts;
}

const HANDLING_LABEL: Record<Handling, string> = {
  honored: 'honored',
  refused: 'refused (400)',
  ignored: 'accepted without effect',
};

/** The Swagger description of a field: its handling and what it means here. */
export function handlingDescription(entry: FieldHandling): string {
  const allowed = entry.allowed?.length ? ` (${entry.allowed.map((v) => JSON.stringify(v)).join(', ')} accepted)` : '';
  return `**${HANDLING_LABEL[entry.handling]}**${allowed}: ${entry.note}`;
}

/** The largest integer both the parser and the DTO take (JSON numbers beyond it are not exact). */
const SAFE = Number.MAX_SAFE_INTEGER;

const ANY_JSON = [
  { type: 'string' },
  { type: 'number' },
  { type: 'boolean' },
  { type: 'object', additionalProperties: true },
  { type: 'array', items: {} },
];

/** The OpenAPI schema of a field's value: from its rule, or any JSON value when it has none. */
function valueSchema(rule: FieldRule | undefined): Record<string, unknown> {
  if (!rule) return { type: Object, oneOf: ANY_JSON };
  switch (rule.type) {
    case 'number':
    case 'integer':
      return {
        type: rule.type,
        ...(rule.min !== undefined ? { minimum: rule.min } : {}),
        ...(rule.max !== undefined ? { maximum: rule.max } : {}),
        nullable: true,
      };
    case 'string':
      return { type: 'string', ...(rule.maxLength !== undefined ? { maxLength: rule.maxLength } : {}), nullable: true };
    case 'object':
      return { type: 'object', additionalProperties: true, nullable: true };
    case 'array':
      return { type: 'array', items: {}, nullable: true };
    case 'boolean':
      return { type: 'boolean', nullable: true };
  }
}

/**
 * Puts a surface's fields on its request DTO: every field gets its Swagger property with the
 * handling as description (merged into what the class already declares), and the rules become
 * class-validator rules, so the DTO validates exactly what the hand parser accepts.
 */
export function applyRequestSurface(dto: { prototype: object }, surface: RequestSurface): void {
  for (const table of [surface.fields, surface.extensions]) {
    for (const [field, entry] of Object.entries(table)) {
      const declared = Reflect.getMetadata('swagger/apiModelProperties', dto.prototype, field) as
        { required?: boolean } | undefined;
      const description = handlingDescription(entry);
      // A declared property keeps its schema and whether it is required; only the handling is added.
      if (declared) ApiProperty({ description })(dto.prototype, field);
      else ApiPropertyOptional({ description, ...valueSchema(entry.rule) })(dto.prototype, field);
      const required = declared !== undefined && declared.required !== false;
      for (const decorator of validationOf(entry, required)) decorator(dto.prototype, field);
    }
  }
  ApiSchema({ description: kindsDescription(surface) })(dto as never);
}

/** The value tables (roles, part types, tool types …) as the request schema's description. */
export function kindsDescription(surface: RequestSurface): string {
  const lines = [`${surface.api}: every field of the official SDK's request type is declared below.`];
  for (const [kind, entries] of Object.entries(surface.kinds)) {
    lines.push('', `**${kind}**:`);
    for (const [name, entry] of Object.entries(entries)) lines.push(`- \`${name}\`: ${handlingDescription(entry)}`);
  }
  return lines.join('\n');
}

/** A refused field may only be absent, null, or one of its allowed values. */
function OnlyAllowed(entry: FieldHandling): PropertyDecorator {
  return ValidateBy({
    name: 'onlyAllowed',
    validator: {
      validate: (value: unknown) => value === undefined || value === null || isAllowedValue(entry, value),
      defaultMessage: (args) => `${args?.property ?? 'field'} is not supported`,
    },
  });
}

/** The class-validator rules of a field (a required one may not be absent or null). */
function validationOf(entry: FieldHandling, required: boolean): PropertyDecorator[] {
  if (entry.handling === 'refused') return [OnlyAllowed(entry)];
  const rule = entry.rule;
  // A field with no rule has a structure its parser checks; the DTO only declares it (whitelisted).
  if (!rule) return [required ? IsDefined() : IsOptional()];
  const optional = required ? [] : [IsOptional()];
  switch (rule.type) {
    case 'boolean':
      return [...optional, IsBoolean()];
    case 'string':
      return [...optional, IsString(), ...(rule.maxLength !== undefined ? [MaxLength(rule.maxLength)] : [])];
    case 'object':
      return [...optional, IsObject()];
    case 'array':
      return [...optional, IsArray()];
    case 'number':
    case 'integer':
      return [
        ...optional,
        rule.type === 'integer' ? IsInt() : IsNumber({ allowNaN: false, allowInfinity: false }),
        Min(rule.min ?? (rule.type === 'integer' ? -SAFE : -Number.MAX_VALUE)),
        Max(rule.max ?? (rule.type === 'integer' ? SAFE : Number.MAX_VALUE)),
      ];
  }
}
