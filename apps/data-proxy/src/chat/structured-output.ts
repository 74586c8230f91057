import { isJsonObject } from '@app/common';
import { CHAT_SURFACE } from '@app/contracts';
import type { GenerationConstraint } from '../inference/engine-backend.js';
import { badRequest, checkKind } from './request-surface.js';

const FORMATS = CHAT_SURFACE.kinds['response_format type'];

/**
 * OpenAI's `response_format` (chat) or `text.format` (Responses) as the engine's constraint:
 * `json_object` → any JSON object, `json_schema` → the schema (its `strict` kept; both engines
 * enforce the schema either way), `text` → none. `schemaAt` says where the schema sits: chat nests
 * it in `json_schema`, Responses puts it on the format itself.
 */
export function formatConstraint(
  format: unknown,
  field: string,
  schemaAt: 'nested' | 'flat',
): GenerationConstraint | null {
  if (format === undefined || format === null) return null;
  if (!isJsonObject(format)) throw badRequest(`${field} must be an object`, field);
  checkKind(FORMATS, format.type, `${field}.type`, 'format');
  if (format.type === 'text') return null;
  if (format.type === 'json_object') return { kind: 'json_object' };
  const holder = schemaAt === 'nested' ? format.json_schema : format;
  const holderName = schemaAt === 'nested' ? `${field}.json_schema` : field;
  if (!isJsonObject(holder)) throw badRequest(`${holderName} must be an object`, holderName);
  const schema = holder.schema ?? {};
  if (!isJsonObject(schema))
    throw badRequest(`${holderName}.schema must be a JSON schema object`, `${holderName}.schema`);
  if (holder.strict !== undefined && holder.strict !== null && typeof holder.strict !== 'boolean')
    throw badRequest(`${holderName}.strict must be a boolean`, `${holderName}.strict`);
  return { kind: 'json_schema', schema, strict: holder.strict === true };
}

/** Anthropic's `output_config.format` (`{type: "json_schema", schema}`). */
export function anthropicFormatConstraint(format: unknown, field: string): GenerationConstraint | null {
  if (format === undefined || format === null) return null;
  if (!isJsonObject(format) || format.type !== 'json_schema' || !isJsonObject(format.schema))
    throw badRequest(`${field} must be {"type": "json_schema", "schema": {...}}`, field);
  return { kind: 'json_schema', schema: format.schema, strict: true };
}

function regexOfChoices(choices: unknown, field: string): GenerationConstraint {
  if (!Array.isArray(choices) || choices.length === 0 || choices.some((c) => typeof c !== 'string'))
    throw badRequest(`${field} must be a non-empty list of strings`, field);
  const escaped = (choices as string[]).map((c) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  return { kind: 'regex', pattern: `(${escaped.join('|')})` };
}

function schemaOf(value: unknown, field: string): Record<string, unknown> {
  let schema = value;
  if (typeof value === 'string') {
    try {
      schema = JSON.parse(value) as unknown;
    } catch {
      throw badRequest(`${field} must be a JSON schema (an object, or its JSON text)`, field);
    }
  }
  if (!isJsonObject(schema)) throw badRequest(`${field} must be a JSON schema (an object, or its JSON text)`, field);
  return schema;
}

function tagOf(value: unknown, field: string): GenerationConstraint {
  return { kind: 'structural_tag', tag: schemaOf(value, field) };
}

function stringOf(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw badRequest(`${field} must be a non-empty string`, field);
  return value;
}

/** vLLM's `structured_outputs`: exactly one of json, regex, grammar, choice, json_object, structural_tag. */
function vllmStructuredOutputs(value: unknown): GenerationConstraint | null {
  if (!isJsonObject(value)) throw badRequest('structured_outputs must be an object', 'structured_outputs');
  const found: GenerationConstraint[] = [];
  for (const key in value) {
    const item = value[key];
    if (item === null || item === undefined || item === false) continue;
    const field = `structured_outputs.${key}`;
    switch (key) {
      case 'json':
        found.push({ kind: 'json_schema', schema: schemaOf(item, field), strict: true });
        break;
      case 'regex':
        found.push({ kind: 'regex', pattern: stringOf(item, field) });
        break;
      case 'grammar':
        found.push({ kind: 'ebnf', grammar: stringOf(item, field) });
        break;
      case 'choice':
        found.push(regexOfChoices(item, field));
        break;
      case 'json_object':
        if (item !== true) throw badRequest(`${field} must be a boolean`, field);
        found.push({ kind: 'json_object' });
        break;
      case 'structural_tag':
        found.push(tagOf(item, field));
        break;
      default:
        throw badRequest(
          `${field} is not supported (json, regex, grammar, choice, json_object, structural_tag)`,
          field,
        );
    }
  }
  if (found.length > 1) throw badRequest('structured_outputs: give only one constraint', 'structured_outputs');
  return found[0] ?? null;
}

/**
 * The constraint named by the engines' own extension fields (vLLM's `structured_outputs` and
 * older `guided_*`, SGLang's `regex` / `ebnf` / `structural_tag`), with the field that named it.
 */
export function extensionConstraints(
  body: Record<string, unknown>,
): { constraint: GenerationConstraint; field: string }[] {
  const out: { constraint: GenerationConstraint; field: string }[] = [];
  const add = (field: string, make: (value: unknown) => GenerationConstraint | null): void => {
    const value = body[field];
    if (value === undefined || value === null) return;
    const constraint = make(value);
    if (constraint) out.push({ constraint, field });
  };
  add('structured_outputs', vllmStructuredOutputs);
  add('guided_json', (v) => ({ kind: 'json_schema', schema: schemaOf(v, 'guided_json'), strict: true }));
  add('guided_regex', (v) => ({ kind: 'regex', pattern: stringOf(v, 'guided_regex') }));
  add('guided_grammar', (v) => ({ kind: 'ebnf', grammar: stringOf(v, 'guided_grammar') }));
  add('guided_choice', (v) => regexOfChoices(v, 'guided_choice'));
  add('regex', (v) => ({ kind: 'regex', pattern: stringOf(v, 'regex') }));
  add('ebnf', (v) => ({ kind: 'ebnf', grammar: stringOf(v, 'ebnf') }));
  add('structural_tag', (v) => tagOf(v, 'structural_tag'));
  return out;
}
