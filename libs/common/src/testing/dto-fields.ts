/** Where @nestjs/swagger keeps what `@ApiProperty` declares (its DECORATORS constants, not exported). */
const PROPERTY_NAMES = 'swagger/apiModelPropertiesArray';
const PROPERTY = 'swagger/apiModelProperties';

type Dto = abstract new (...args: never[]) => unknown;

interface PropertyMetadata {
  type?: unknown;
  isArray?: boolean;
  nullable?: boolean;
}

function documentedFields(dto: Dto): Map<string, PropertyMetadata> {
  const names = (Reflect.getMetadata(PROPERTY_NAMES, dto.prototype as object) ?? []) as string[];
  const fields = new Map<string, PropertyMetadata>();
  for (const name of names) {
    const field = name.replace(/^:/, '');
    fields.set(field, (Reflect.getMetadata(PROPERTY, dto.prototype as object, field) ?? {}) as PropertyMetadata);
  }
  return fields;
}

/** The DTO class a property's Swagger metadata names (`type: Dto` or `type: [Dto]`), if any. */
function nestedDto(metadata: PropertyMetadata): Dto | null {
  const type = Array.isArray(metadata.type) ? (metadata.type[0] as unknown) : metadata.type;
  if (typeof type !== 'function') return null;
  // Lazy `type: () => Dto` resolvers are not classes: their prototype holds no Swagger fields.
  return documentedFields(type as Dto).size > 0 ? (type as Dto) : null;
}

/**
 * Where an answer departs from what its DTO's Swagger schema shows: fields the schema does not
 * document (`choices[0].message.refusal: undocumented`) and nulls in fields it does not mark
 * nullable (`choices[0].finish_reason: null`), following the nested DTOs the schema names. An
 * answer built by hand on a hot path, typed with its DTO, is checked here against what clients read.
 */
export function undocumentedFields(value: unknown, dto: Dto, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => undocumentedFields(item, dto, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  const fields = documentedFields(dto);
  const gaps: string[] = [];
  for (const [key, inner] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    const metadata = fields.get(key);
    if (!metadata) gaps.push(`${at}: undocumented`);
    else if (inner === null && metadata.nullable !== true) gaps.push(`${at}: null`);
    else {
      const nested = nestedDto(metadata);
      if (nested) gaps.push(...undocumentedFields(inner, nested, at));
    }
  }
  return gaps;
}
