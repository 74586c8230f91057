/**
 * What an OpenAPI document leaves undocumented: operations without a 2xx response schema, POST/PUT
 * operations without a request body schema, and error responses without a body schema. A JSON
 * schema counts when it names a model (`$ref`), has properties, or is a list of models; other media
 * types (SSE, plain text, octet streams) need a schema of any kind. Operations whose handler reads
 * no body (every field optional, e.g. `/grant_capacity`) are listed in `noBody`.
 */
type Schema = { $ref?: string; properties?: object; items?: Schema; enum?: unknown[]; oneOf?: Schema[] };
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

export function openApiGaps(
  document: { paths: Record<string, Record<string, Operation>> },
  noBody: string[],
): string[] {
  const gaps: string[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const name = `${method.toUpperCase()} ${path}`;
      const ok = Object.entries(op.responses).filter(([status]) => status.startsWith('2'));
      if (ok.length === 0 || !ok.every(([, r]) => documented(r.content))) gaps.push(`${name}: no 2xx response schema`);
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
