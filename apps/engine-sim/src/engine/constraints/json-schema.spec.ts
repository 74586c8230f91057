import { describe, expect, it } from '@jest/globals';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Random } from '../random.js';
import { ConstraintError } from './constraint-error.js';
import { JsonObjectConstraint, JsonSchemaConstraint } from './json-schema.js';

const ajv = new Ajv2020({ strict: false, validateFormats: false });

const SCHEMAS: Record<string, Record<string, unknown>> = {
  'an OpenAI strict object with nullable fields': {
    type: 'object',
    properties: {
      city: { type: 'string' },
      temperature: { type: ['number', 'null'] },
      unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
    },
    required: ['city', 'temperature', 'unit'],
    additionalProperties: false,
  },
  'nested objects and arrays with bounds': {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 3, maxLength: 12 },
      age: { type: 'integer', minimum: 18, maximum: 99 },
      scores: { type: 'array', items: { type: 'number', exclusiveMinimum: 0, maximum: 1 }, minItems: 2, maxItems: 4 },
      address: {
        type: 'object',
        properties: { street: { type: 'string' }, zip: { type: 'string', pattern: '^[0-9]{5}$' } },
        required: ['zip'],
      },
    },
    required: ['name', 'age', 'scores', 'address'],
  },
  'a recursive tree through $defs': {
    $defs: {
      node: {
        type: 'object',
        properties: { label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/node' } } },
        required: ['label'],
      },
    },
    $ref: '#/$defs/node',
  },
  'anyOf, oneOf, allOf and const': {
    type: 'object',
    properties: {
      kind: { const: 'event' },
      payload: {
        anyOf: [
          { type: 'string', format: 'date' },
          { type: 'integer', multipleOf: 5 },
        ],
      },
      level: { oneOf: [{ type: 'boolean' }, { type: 'null' }] },
      merged: {
        allOf: [
          { type: 'object', properties: { a: { type: 'integer' } }, required: ['a'] },
          { required: ['b'], properties: { b: { type: 'string' } } },
        ],
      },
    },
    required: ['kind', 'payload', 'level', 'merged'],
  },
  'a tuple with prefixItems and no more items': {
    type: 'array',
    prefixItems: [{ type: 'string' }, { type: 'integer' }],
    items: false,
    minItems: 2,
  },
  'a free-form object': { type: 'object' },
  'a tool call': {
    type: 'object',
    properties: {
      name: { type: 'string', enum: ['calculator'] },
      arguments: { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] },
    },
    required: ['name', 'arguments'],
  },
};

describe(JsonSchemaConstraint.name, () => {
  it.each(Object.entries(SCHEMAS))(
    'generates documents that validate against %s (ajv), for many seeds',
    (_, schema) => {
      const constraint = JsonSchemaConstraint.fromSource(JSON.stringify(schema));
      const validate = ajv.compile(schema);
      for (let seed = 0; seed < 40; seed++) {
        const text = constraint.generate(new Random(seed));
        const valid = validate(JSON.parse(text));
        expect([text, valid, validate.errors ?? null]).toEqual([text, true, null]);
        expect(constraint.accepts(text)).toBe(true);
      }
    },
  );

  it('is deterministic for a seed, and varies across seeds', () => {
    const constraint = JsonSchemaConstraint.fromSource(SCHEMAS['nested objects and arrays with bounds']);
    expect(constraint.generate(new Random(7))).toBe(constraint.generate(new Random(7)));
    const outputs = new Set(Array.from({ length: 10 }, (_, seed) => constraint.generate(new Random(seed))));
    expect(outputs.size).toBeGreaterThan(5);
  });

  it('writes JSON the way a model does: properties in schema order, ", " and ": " separators', () => {
    const text = JsonSchemaConstraint.fromSource({
      type: 'object',
      properties: { b: { const: 1 }, a: { const: [true, null] } },
      required: ['b', 'a'],
    }).generate(new Random(1));
    expect(text).toBe('{"b": 1, "a": [true, null]}');
  });

  it('accepts exactly the instances ajv accepts (the answer plan is kept only when it is one)', () => {
    const schema = SCHEMAS['nested objects and arrays with bounds'];
    const constraint = JsonSchemaConstraint.fromSource(schema);
    const validate = ajv.compile(schema);
    const candidates = [
      { name: 'Ada', age: 30, scores: [0.5, 1], address: { zip: '12345' } },
      { name: 'Ada', age: 30, scores: [0.5, 1], address: { zip: '1234' } },
      { name: 'Ada', age: 17, scores: [0.5, 1], address: { zip: '12345' } },
      { name: 'Ad', age: 30, scores: [0.5, 1], address: { zip: '12345' } },
      { name: 'Ada', age: 30, scores: [0, 1], address: { zip: '12345' } },
      { name: 'Ada', age: 30, scores: [0.5], address: { zip: '12345' } },
      { name: 'Ada', age: 30.5, scores: [0.5, 1], address: { zip: '12345' } },
      { name: 'Ada', age: 30, scores: [0.5, 1] },
    ];
    for (const value of candidates)
      expect([value, constraint.accepts(JSON.stringify(value))]).toEqual([value, validate(value)]);
    expect(constraint.accepts('{"name": "Ada",')).toBe(false);
    expect(constraint.accepts('not json')).toBe(false);
  });

  it.each([
    ['not JSON', '{"type": "object"'],
    ['not an object', '[1, 2]'],
    ['an unknown type', { type: 'map' }],
    ['an unresolvable $ref', { $ref: '#/$defs/missing' }],
    ['a remote $ref', { $ref: 'https://example.com/schema.json' }],
    ['an invalid pattern', { type: 'string', pattern: '(unclosed' }],
    ['minLength above maxLength', { type: 'string', minLength: 5, maxLength: 2 }],
    ['an empty enum', { enum: [] }],
    [
      'a required self-reference (no finite instance)',
      { type: 'object', properties: { self: { $ref: '#' } }, required: ['self'] },
    ],
    [
      'a required property that additionalProperties forbids',
      { type: 'object', required: ['x'], additionalProperties: false },
    ],
    ['an unsupported keyword (if/then)', { type: 'object', if: { required: ['a'] }, then: { required: ['b'] } }],
    ['no integer within the bounds', { type: 'integer', minimum: 1.2, maximum: 1.8 }],
  ])('refuses %s', (_, schema) => {
    expect(() => JsonSchemaConstraint.fromSource(schema)).toThrow(ConstraintError);
  });
});

describe(JsonObjectConstraint.name, () => {
  it('generates JSON objects and accepts only objects', () => {
    const constraint = new JsonObjectConstraint();
    for (let seed = 0; seed < 20; seed++) {
      const value = JSON.parse(constraint.generate(new Random(seed))) as unknown;
      expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true);
    }
    expect(constraint.accepts('{"a": 1}')).toBe(true);
    expect(constraint.accepts('[1]')).toBe(false);
    expect(constraint.accepts('"text"')).toBe(false);
  });
});
