/**
 * What an OpenAPI document leaves undocumented: operations without a 2xx response schema, POST/PUT
 * operations without a request body schema, and error responses without a body schema. A JSON
 * schema counts when it names a model (`$ref`), has properties, or is a list of models; other media
 * types (SSE, plain text, octet streams) need a schema of any kind. A JSON 2xx schema must show an
 * example value somewhere (Swagger UI renders it as the sample answer). Operations whose handler
 * reads no body (every field optional, e.g. `/grant_capacity`) are listed in `noBody`.
 */
type Schema = {
  $ref?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  oneOf?: Schema[];
  allOf?: Schema[];
  example?: unknown;
  examples?: unknown;
};
type Content = Record<string, { schema?: Schema }>;
type Operation = {
  requestBody?: { content?: Content };
  responses: Record<string, { content?: Content }>;
};

const JSON_TYPE = 'application/json';

function documented(content: Content | undefined): boolean {
  if (!content || Object.keys(content).length === 0) return false;
  return Object.entries(content).every(([type, media]) => {
    const schema = media.schema;
    if (!schema) return false;
    if (type !== JSON_TYPE) return true;
    // JSON `null` (SGLang's memory endpoints answer it) is a schema of its own.
    if (schema.enum?.length === 1 && schema.enum[0] === null) return true;
    return Boolean(schema.$ref || schema.properties || schema.items?.$ref || schema.oneOf);
  });
}

type OpenApiDocument = {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
};

/**
 * Whether a reader of the schema sees an example value: on the schema, or on at least one of its
 * properties (followed through `$ref`, lists and `allOf`).
 */
function hasExample(document: OpenApiDocument, schema: Schema | undefined, seen = new Set<string>()): boolean {
  if (!schema) return false;
  if (schema.example !== undefined || schema.examples !== undefined) return true;
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop()!;
    if (seen.has(name)) return false;
    seen.add(name);
    return hasExample(document, document.components?.schemas?.[name], seen);
  }
  if (schema.enum?.length) return true; // the allowed values are the example
  if (schema.items) return hasExample(document, schema.items, seen);
  const parts = [...(schema.allOf ?? []), ...(schema.oneOf ?? []), ...Object.values(schema.properties ?? {})];
  return parts.some((part) => hasExample(document, part, seen));
}

/** Every `$ref` under `node` that names no schema of the document (Swagger UI cannot render it). */
function danglingRefs(document: OpenApiDocument, node: unknown, found: Set<string>): Set<string> {
  if (Array.isArray(node)) for (const item of node) danglingRefs(document, item, found);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') {
        if (!document.components?.schemas?.[value.split('/').pop()!]) found.add(value);
      } else danglingRefs(document, value, found);
    }
  }
  return found;
}

export function openApiGaps(document: OpenApiDocument, noBody: string[]): string[] {
  const gaps: string[] = [...danglingRefs(document, document, new Set())].map((ref) => `${ref}: no such schema`);
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const name = `${method.toUpperCase()} ${path}`;
      const ok = Object.entries(op.responses).filter(([status]) => status.startsWith('2'));
      if (ok.length === 0 || !ok.every(([, r]) => documented(r.content))) gaps.push(`${name}: no 2xx response schema`);
      for (const [status, response] of ok) {
        const schema = response.content?.[JSON_TYPE]?.schema;
        if (schema && !hasExample(document, schema)) gaps.push(`${name}: ${status} response has no example`);
      }
      for (const [status, response] of Object.entries(op.responses))
        if (Number(status) >= 400 && !documented(response.content))
          gaps.push(`${name}: ${status} has no error body schema`);
      if ((method === 'post' || method === 'put') && !noBody.includes(name) && !documented(op.requestBody?.content))
        gaps.push(`${name}: no request body schema`);
    }
  }
  return gaps;
}

/** POST operations whose handlers read no body: nothing to document. */
export const BODYLESS_OPERATIONS = [
  'POST /grant_capacity',
  'POST /release_capacity',
  'POST /continue_generation',
  'POST /configure',
  'POST /shutdown',
  'POST /release_memory_occupation',
  'POST /sleep',
  'POST /wake_up',
  'POST /pause',
  'POST /resume',
  'POST /areal_pause_generation',
  'POST /areal_continue_generation',
  'POST /flush_cache',
  'POST /continue_generation/{worker_id}',
  'POST /callback/continue_generation/{worker_id}',
  'POST /release_memory_occupation/{worker_id}',
];
