// One unit over 300 lines: a JSON schema's three readings (checking the schema itself, generating an
// instance, validating an instance) must agree keyword by keyword, so they live side by side.
import { CORPUS } from '../corpus.js';
import { Random } from '../random.js';
import { ConstraintError } from './constraint-error.js';
import { generateFromGrammar } from './grammar-generator.js';
import { EarleyRecognizer } from './earley.js';
import { g, Grammar, MAX_CODE_POINT } from './grammar.js';
import { parseRegex } from './regex-parser.js';

type Schema = boolean | Record<string, unknown>;

const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null', 'object', 'array']);
/** Assertions engine-sim cannot honour while generating: refused rather than silently ignored. */
const UNSUPPORTED = [
  'patternProperties',
  'propertyNames',
  'dependentRequired',
  'dependentSchemas',
  'dependencies',
  'if',
  'then',
  'else',
  'not',
  'contains',
  'minContains',
  'maxContains',
  'unevaluatedProperties',
  'unevaluatedItems',
];
/** Past this nesting depth generation takes the smallest instance; past MAX_DEPTH the schema has none. */
const SMALL_DEPTH = 4;
const MAX_DEPTH = 24;
const WORDS = [...new Set(CORPUS.toLowerCase().match(/[a-z]+/g) ?? ['text'])];
const FORMATS: Record<string, string> = {
  date: '2024-05-17',
  time: '12:30:00',
  'date-time': '2024-05-17T12:30:00Z',
  email: 'agent@example.com',
  uuid: '3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b',
  uri: 'https://example.com/rollout',
  ipv4: '192.168.0.1',
  ipv6: '2001:db8::1',
  hostname: 'example.com',
};

/**
 * A JSON schema constraint (SGLang `json_schema`, vLLM `structured_outputs.json`): the schema is
 * checked when the request arrives (invalid or unsupported → the request is refused), documents are
 * generated from it and candidate answers validated against it. Supports `type` (one or a list),
 * `enum`, `const`, `properties`, `required`, `additionalProperties`, `items`, `prefixItems`,
 * `minItems`/`maxItems`, `minLength`/`maxLength`, `pattern`, `format` (as an annotation; common
 * formats get a value of that form), numeric bounds and `multipleOf`, `anyOf`/`oneOf`/`allOf`, and
 * local `$ref`s into `$defs`/`definitions`. Properties appear in declaration order, separated by
 * `", "` and `": "`.
 */
export class JsonSchemaConstraint {
  private readonly patterns = new Map<string, CompiledPattern>();

  constructor(private readonly root: Schema) {
    this.check(root, '#', new Set());
    // A schema whose every instance is infinitely deep (a required self-reference) has none at all.
    this.instance(root, new Random(0), SMALL_DEPTH);
  }

  /** Parses the schema text of SGLang's `json_schema` (or takes vLLM's object as it is). */
  static fromSource(source: unknown): JsonSchemaConstraint {
    let schema = source;
    if (typeof source === 'string') {
      try {
        schema = JSON.parse(source) as unknown;
      } catch (err) {
        throw new ConstraintError(`Invalid JSON schema: ${(err as Error).message}`);
      }
    }
    if (typeof schema !== 'boolean' && !isObject(schema))
      throw new ConstraintError('Invalid JSON schema: a schema must be an object or a boolean');
    return new JsonSchemaConstraint(schema);
  }

  generate(random: Random): string {
    return serialize(this.instance(this.root, random, 0));
  }

  /** Whether `text` is one JSON document that validates against the schema. */
  accepts(text: string): boolean {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return false;
    }
    return this.validate(this.root, value, 0);
  }

  /** A schema with `$ref` followed (local references only). */
  private resolve(schema: Schema): Schema {
    for (let hops = 0; isObject(schema) && typeof schema.$ref === 'string'; hops++) {
      if (hops > 32) throw new ConstraintError('Invalid JSON schema: $ref cycle');
      schema = this.pointer(schema.$ref);
    }
    return schema;
  }

  private pointer(ref: string): Schema {
    if (!ref.startsWith('#'))
      throw new ConstraintError(`Invalid JSON schema: only local $ref is supported, got ${ref}`);
    let node: unknown = this.root;
    for (const raw of ref.slice(1).split('/').slice(1)) {
      const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      node = isObject(node) || Array.isArray(node) ? (node as Record<string, unknown>)[key] : undefined;
    }
    if (typeof node !== 'boolean' && !isObject(node))
      throw new ConstraintError(`Invalid JSON schema: $ref ${ref} does not resolve to a schema`);
    return node;
  }

  /** Checks every keyword's type and consistency once, following references. */
  private check(schema: unknown, at: string, visited: Set<unknown>): void {
    if (typeof schema === 'boolean') return;
    if (!isObject(schema))
      throw new ConstraintError(`Invalid JSON schema at ${at}: a schema must be an object or a boolean`);
    if (visited.has(schema)) return;
    visited.add(schema);
    const fail = (message: string): never => {
      throw new ConstraintError(`Invalid JSON schema at ${at}: ${message}`);
    };
    for (const keyword of UNSUPPORTED)
      if (schema[keyword] !== undefined) fail(`engine-sim does not support the keyword "${keyword}"`);
    if (typeof schema.$ref === 'string') this.check(this.pointer(schema.$ref), schema.$ref, visited);
    else if (schema.$ref !== undefined) fail('$ref must be a string');
    const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
    for (const type of types)
      if (typeof type !== 'string' || !TYPES.has(type)) fail(`unknown type ${JSON.stringify(type)}`);
    if (schema.enum !== undefined && (!Array.isArray(schema.enum) || schema.enum.length === 0))
      fail('enum must be a non-empty list');
    for (const key of ['minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties'])
      if (schema[key] !== undefined && !(Number.isInteger(schema[key]) && (schema[key] as number) >= 0))
        fail(`${key} must be a non-negative integer`);
    for (const key of ['minimum', 'maximum', 'multipleOf'])
      if (schema[key] !== undefined && typeof schema[key] !== 'number') fail(`${key} must be a number`);
    if (typeof schema.multipleOf === 'number' && schema.multipleOf <= 0) fail('multipleOf must be positive');
    if ((schema.minLength as number) > (schema.maxLength as number)) fail('minLength is greater than maxLength');
    if ((schema.minItems as number) > (schema.maxItems as number)) fail('minItems is greater than maxItems');
    if ((schema.minimum as number) > (schema.maximum as number)) fail('minimum is greater than maximum');
    if (schema.pattern !== undefined) {
      if (typeof schema.pattern !== 'string') fail('pattern must be a string');
      this.pattern(schema.pattern as string);
    }
    if (
      schema.required !== undefined &&
      (!Array.isArray(schema.required) || schema.required.some((r) => typeof r !== 'string'))
    )
      fail('required must be a list of strings');
    if (schema.properties !== undefined) {
      if (!isObject(schema.properties)) fail('properties must be an object');
      for (const [key, sub] of Object.entries(schema.properties as Record<string, unknown>))
        this.check(sub, `${at}/properties/${key}`, visited);
    }
    for (const key of ['additionalProperties', 'items'])
      if (schema[key] !== undefined && !Array.isArray(schema[key])) this.check(schema[key], `${at}/${key}`, visited);
    for (const key of ['prefixItems', 'anyOf', 'oneOf', 'allOf', 'items']) {
      const list = schema[key];
      if (list === undefined || (key === 'items' && !Array.isArray(list))) continue;
      if (!Array.isArray(list) || (key !== 'prefixItems' && key !== 'items' && list.length === 0))
        fail(`${key} must be a non-empty list of schemas`);
      (list as unknown[]).forEach((sub, i) => this.check(sub, `${at}/${key}/${i}`, visited));
    }
    for (const key of ['$defs', 'definitions']) {
      if (schema[key] === undefined) continue;
      if (!isObject(schema[key])) fail(`${key} must be an object`);
      for (const [name, sub] of Object.entries(schema[key] as Record<string, unknown>))
        this.check(sub, `${at}/${key}/${name}`, visited);
    }
  }

  private pattern(source: string): CompiledPattern {
    let compiled = this.patterns.get(source);
    if (!compiled) {
      const { expr, anchoredStart, anchoredEnd } = parseRegex(source);
      // The generator writes a full match, which satisfies the pattern anchored or not; validation
      // searches as JSON schema defines it (unanchored unless ^ / $ say otherwise).
      const any = g.repeat(g.cls([[0, MAX_CODE_POINT]]), 0, Infinity);
      const search = g.seq([...(anchoredStart ? [] : [any]), expr, ...(anchoredEnd ? [] : [any])]);
      compiled = {
        grammar: new Grammar(new Map([['root', expr]]), 'root'),
        searchGrammar: new Grammar(new Map([['root', search]]), 'root'),
        search: null,
      };
      this.patterns.set(source, compiled);
    }
    return compiled;
  }

  /** An instance of `schema`: random choices while shallow, the smallest ones deeper down. */
  private instance(schema: Schema, random: Random, depth: number): unknown {
    if (depth > MAX_DEPTH) throw new ConstraintError('Invalid JSON schema: it has no finite instance');
    schema = this.resolve(schema);
    if (schema === false) throw new ConstraintError('Invalid JSON schema: a false schema has no instance');
    if (schema === true) return pick(WORDS, random);
    if (schema.const !== undefined) return schema.const;
    if (Array.isArray(schema.enum)) return schema.enum[random.int(0, schema.enum.length - 1)];
    if (Array.isArray(schema.allOf)) return this.instance(this.mergeAll(schema), random, depth + 1);
    const options = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
    if (options) return this.instanceOfOne(schema, options, random, depth);
    const small = depth >= SMALL_DEPTH;
    switch (this.typeOf(schema, random)) {
      case 'null':
        return null;
      case 'boolean':
        return random.next() < 0.5;
      case 'integer':
        return this.integer(schema, random);
      case 'number':
        return this.number(schema, random);
      case 'array':
        return this.array(schema, random, depth, small);
      case 'object':
        return this.object(schema, random, depth, small);
      default:
        return this.string(schema, random);
    }
  }

  /** One option of anyOf/oneOf (keeping the sibling keywords); deeper down, the first that has a small instance. */
  private instanceOfOne(schema: Record<string, unknown>, options: Schema[], random: Random, depth: number): unknown {
    const { anyOf: _a, oneOf: _o, ...siblings } = schema;
    const withSiblings = (option: Schema): Schema =>
      Object.keys(siblings).length === 0 ? option : { ...siblings, allOf: [option] };
    if (depth < SMALL_DEPTH)
      return this.instance(withSiblings(options[random.int(0, options.length - 1)]), random, depth + 1);
    let last: unknown;
    for (const option of options) {
      try {
        return this.instance(withSiblings(option), random, depth + 1);
      } catch (err) {
        last = err;
      }
    }
    throw last;
  }

  /** allOf as one schema: the keywords of every part together (objects' properties and required merged). */
  private mergeAll(schema: Record<string, unknown>): Schema {
    const { allOf, ...rest } = schema;
    const merged: Record<string, unknown> = { ...rest };
    for (const part of allOf as Schema[]) {
      const resolved = this.resolve(part);
      if (resolved === false) return false;
      if (resolved === true) continue;
      for (const [key, value] of Object.entries(resolved)) {
        if (key === 'properties' && isObject(merged.properties) && isObject(value))
          merged.properties = { ...merged.properties, ...value };
        else if (key === 'required' && Array.isArray(merged.required) && Array.isArray(value))
          merged.required = [...new Set([...(merged.required as string[]), ...(value as string[])])];
        else merged[key] = value;
      }
    }
    return merged;
  }

  private typeOf(schema: Record<string, unknown>, random: Random): string {
    if (Array.isArray(schema.type)) {
      // A nullable type ["string", "null"] gives the non-null one, as a model would.
      const types = schema.type as string[];
      const nonNull = types.filter((t) => t !== 'null');
      const from = nonNull.length > 0 ? nonNull : types;
      return from[random.int(0, from.length - 1)];
    }
    if (typeof schema.type === 'string') return schema.type;
    if (schema.properties !== undefined || schema.required !== undefined || schema.additionalProperties !== undefined)
      return 'object';
    if (schema.items !== undefined || schema.prefixItems !== undefined) return 'array';
    if (schema.minimum !== undefined || schema.maximum !== undefined) return 'number';
    return 'string';
  }

  private string(schema: Record<string, unknown>, random: Random): string {
    const min = (schema.minLength as number | undefined) ?? 0;
    const max = (schema.maxLength as number | undefined) ?? Math.max(min, 40);
    if (typeof schema.pattern === 'string') {
      const { grammar } = this.pattern(schema.pattern);
      for (let attempt = 0; attempt < 16; attempt++) {
        const text = generateFromGrammar(grammar, random, Math.max(8, Math.min(max, 64)));
        const length = [...text].length;
        if (length >= min && length <= max) return text;
      }
      throw new ConstraintError('Invalid JSON schema: no string matches both its pattern and its length bounds');
    }
    if (typeof schema.format === 'string' && FORMATS[schema.format]) {
      const text = FORMATS[schema.format];
      if (text.length >= min && text.length <= max) return text;
    }
    const words: string[] = [];
    const target = Math.min(max, Math.max(min, random.int(4, 24)));
    let length = 0;
    while (length < target) {
      const word = pick(WORDS, random);
      words.push(word);
      length += word.length + (words.length > 1 ? 1 : 0);
    }
    return words.join(' ').slice(0, max).trimEnd().padEnd(min, 'a');
  }

  private integer(schema: Record<string, unknown>, random: Random): number {
    const { low, high } = bounds(schema, true);
    const step = typeof schema.multipleOf === 'number' && Number.isInteger(schema.multipleOf) ? schema.multipleOf : 1;
    const first = Math.ceil(low / step);
    const last = Math.floor(high / step);
    if (first > last) throw new ConstraintError('Invalid JSON schema: no integer lies within its bounds');
    return random.int(first, Math.min(last, first + 100)) * step;
  }

  private number(schema: Record<string, unknown>, random: Random): number {
    if (typeof schema.multipleOf === 'number') return this.integer(schema, random);
    const { low, high } = bounds(schema, false);
    if (low > high) throw new ConstraintError('Invalid JSON schema: no number lies within its bounds');
    const value = Math.round((low + random.next() * Math.min(high - low, 100)) * 100) / 100;
    return Math.min(high, Math.max(low, value));
  }

  private array(schema: Record<string, unknown>, random: Random, depth: number, small: boolean): unknown[] {
    const prefix = (
      Array.isArray(schema.prefixItems) ? schema.prefixItems : Array.isArray(schema.items) ? schema.items : []
    ) as Schema[];
    const rest = Array.isArray(schema.items)
      ? (schema.additionalItems as Schema | undefined)
      : (schema.items as Schema | undefined);
    const minItems = (schema.minItems as number | undefined) ?? 0;
    const maxItems = (schema.maxItems as number | undefined) ?? Infinity;
    const out = prefix.slice(0, Math.min(prefix.length, maxItems)).map((s) => this.instance(s, random, depth + 1));
    if (rest === false) {
      if (out.length < minItems) throw new ConstraintError('Invalid JSON schema: minItems exceeds the items allowed');
      return out;
    }
    const wanted = small ? minItems : random.int(Math.max(minItems, 1), Math.max(minItems, 3));
    const count = Math.min(maxItems, Math.max(wanted, out.length));
    while (out.length < count) out.push(this.instance(rest ?? true, random, depth + 1));
    return out;
  }

  private object(
    schema: Record<string, unknown>,
    random: Random,
    depth: number,
    small: boolean,
  ): Record<string, unknown> {
    const properties = (isObject(schema.properties) ? schema.properties : {}) as Record<string, Schema>;
    const required = new Set((schema.required as string[] | undefined) ?? []);
    const additional = schema.additionalProperties as Schema | undefined;
    const out: Record<string, unknown> = {};
    for (const [key, sub] of Object.entries(properties)) {
      if (required.has(key) || (!small && this.resolve(sub) !== false && random.next() < 0.5))
        out[key] = this.instance(sub, random, depth + 1);
    }
    for (const key of required) {
      if (key in out) continue;
      if (additional === false)
        throw new ConstraintError(`Invalid JSON schema: required property "${key}" is not allowed`);
      out[key] = this.instance(additional ?? true, random, depth + 1);
    }
    const minProperties = (schema.minProperties as number | undefined) ?? 0;
    // An object with no declared properties gets one or two of its own, as a model would write.
    const free = Object.keys(properties).length === 0 && additional !== false && !small ? random.int(1, 2) : 0;
    for (let i = 0; i < free || Object.keys(out).length < minProperties; i++) {
      if (additional === false)
        throw new ConstraintError('Invalid JSON schema: minProperties exceeds the properties allowed');
      const key = `${pick(WORDS, random)}_${i}`;
      if (!(key in out)) out[key] = this.instance(additional ?? true, random, depth + 1);
    }
    return out;
  }

  /** Whether `value` is an instance of `schema` (the same keywords the generator honours). */
  private validate(schema: Schema, value: unknown, depth: number): boolean {
    if (depth > 64) return false;
    schema = this.resolve(schema);
    if (typeof schema === 'boolean') return schema;
    if (schema.const !== undefined && !deepEqual(schema.const, value)) return false;
    if (Array.isArray(schema.enum) && !schema.enum.some((e) => deepEqual(e, value))) return false;
    if (Array.isArray(schema.allOf) && !(schema.allOf as Schema[]).every((s) => this.validate(s, value, depth + 1)))
      return false;
    if (Array.isArray(schema.anyOf) && !(schema.anyOf as Schema[]).some((s) => this.validate(s, value, depth + 1)))
      return false;
    if (
      Array.isArray(schema.oneOf) &&
      (schema.oneOf as Schema[]).filter((s) => this.validate(s, value, depth + 1)).length !== 1
    )
      return false;
    const types =
      schema.type === undefined
        ? null
        : Array.isArray(schema.type)
          ? (schema.type as string[])
          : [schema.type as string];
    if (types && !types.some((t) => hasType(value, t))) return false;
    if (typeof value === 'string') return this.validateString(schema, value);
    if (typeof value === 'number') return validateNumber(schema, value);
    if (Array.isArray(value)) return this.validateArray(schema, value, depth);
    if (isObject(value)) return this.validateObject(schema, value, depth);
    return true;
  }

  private validateString(schema: Record<string, unknown>, value: string): boolean {
    const length = [...value].length;
    if (length < ((schema.minLength as number | undefined) ?? 0)) return false;
    if (length > ((schema.maxLength as number | undefined) ?? Infinity)) return false;
    if (typeof schema.pattern === 'string') {
      const compiled = this.pattern(schema.pattern);
      compiled.search ??= new EarleyRecognizer(compiled.searchGrammar);
      if (!compiled.search.accepts(value)) return false;
    }
    return true;
  }

  private validateArray(schema: Record<string, unknown>, value: unknown[], depth: number): boolean {
    if (value.length < ((schema.minItems as number | undefined) ?? 0)) return false;
    if (value.length > ((schema.maxItems as number | undefined) ?? Infinity)) return false;
    const prefix = (
      Array.isArray(schema.prefixItems) ? schema.prefixItems : Array.isArray(schema.items) ? schema.items : []
    ) as Schema[];
    const rest = (Array.isArray(schema.items) ? schema.additionalItems : schema.items) as Schema | undefined;
    for (let i = 0; i < value.length; i++) {
      const sub = i < prefix.length ? prefix[i] : rest;
      if (sub !== undefined && !this.validate(sub, value[i], depth + 1)) return false;
    }
    if (schema.uniqueItems === true && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) return false;
    return true;
  }

  private validateObject(schema: Record<string, unknown>, value: Record<string, unknown>, depth: number): boolean {
    const properties = (isObject(schema.properties) ? schema.properties : {}) as Record<string, Schema>;
    for (const key of (schema.required as string[] | undefined) ?? []) if (!(key in value)) return false;
    const keys = Object.keys(value);
    if (keys.length < ((schema.minProperties as number | undefined) ?? 0)) return false;
    if (keys.length > ((schema.maxProperties as number | undefined) ?? Infinity)) return false;
    for (const key of keys) {
      const sub = key in properties ? properties[key] : (schema.additionalProperties as Schema | undefined);
      if (sub !== undefined && !this.validate(sub, value[key], depth + 1)) return false;
    }
    return true;
  }
}

interface CompiledPattern {
  /** Full matches (what the generator writes). */
  grammar: Grammar;
  /** Strings that contain a match, honouring ^ and $. */
  searchGrammar: Grammar;
  search: EarleyRecognizer | null;
}

/** The JSON text engine-sim's model writes: `{"a": 1, "b": [true, null]}`. */
export function serialize(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(serialize).join(', ')}]`;
  if (isObject(value))
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${serialize(v)}`)
      .join(', ')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** `json_object`: any JSON object. */
export class JsonObjectConstraint {
  generate(random: Random): string {
    const out: Record<string, unknown> = {};
    const count = random.int(1, 3);
    for (let i = 0; i < count; i++) out[pick(WORDS, random)] = `${pick(WORDS, random)} ${pick(WORDS, random)}`;
    return serialize(out);
  }

  accepts(text: string): boolean {
    try {
      return isObject(JSON.parse(text));
    } catch {
      return false;
    }
  }
}

function bounds(schema: Record<string, unknown>, integer: boolean): { low: number; high: number } {
  const nudge = integer ? 1 : 0.01;
  let low = typeof schema.minimum === 'number' ? schema.minimum : -Infinity;
  let high = typeof schema.maximum === 'number' ? schema.maximum : Infinity;
  if (typeof schema.exclusiveMinimum === 'number') low = Math.max(low, schema.exclusiveMinimum + nudge);
  else if (schema.exclusiveMinimum === true) low += nudge;
  if (typeof schema.exclusiveMaximum === 'number') high = Math.min(high, schema.exclusiveMaximum - nudge);
  else if (schema.exclusiveMaximum === true) high -= nudge;
  if (low === -Infinity) low = high === Infinity ? 0 : high - 100;
  if (high === Infinity) high = low + 100;
  return { low, high };
}

function validateNumber(schema: Record<string, unknown>, value: number): boolean {
  if (typeof schema.minimum === 'number' && value < schema.minimum) return false;
  if (typeof schema.maximum === 'number' && value > schema.maximum) return false;
  if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) return false;
  if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum) return false;
  if (
    typeof schema.multipleOf === 'number' &&
    Math.abs(value / schema.multipleOf - Math.round(value / schema.multipleOf)) > 1e-9
  )
    return false;
  return true;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'string':
      return typeof value === 'string';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isObject(value);
    default:
      return false;
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pick<T>(list: readonly T[], random: Random): T {
  return list[random.int(0, list.length - 1)];
}
