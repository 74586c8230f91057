import { beforeAll, describe, expect, it } from '@jest/globals';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { HfTokenizer } from '@app/tokenizer';
import { Random } from '../random.js';
import { sampleToken } from '../sampler.js';
import { ConstrainedDecoding, VocabularyIndex } from './constrained-decoding.js';
import { ConstraintCompiler, type ConstraintSpec } from './constraint.js';
import { ConstraintError } from './constraint-error.js';
import { StructuralTagConstraint } from './structural-tag.js';

const ajv = new Ajv2020({ strict: false, validateFormats: false });

const TOOL_SCHEMA = {
  type: 'object',
  properties: { expression: { type: 'string' } },
  required: ['expression'],
  additionalProperties: false,
};
const TAG = {
  type: 'structural_tag',
  structures: [
    { begin: '<tool_call>\n{"name": "calculator", "arguments": ', schema: TOOL_SCHEMA, end: '}\n</tool_call>' },
  ],
  triggers: ['<tool_call>'],
};

describe(StructuralTagConstraint.name, () => {
  it('writes one structure: begin, a document of its schema, end', () => {
    const constraint = StructuralTagConstraint.fromSource(JSON.stringify(TAG));
    const validate = ajv.compile(TOOL_SCHEMA);
    for (let seed = 0; seed < 20; seed++) {
      const text = constraint.generate(new Random(seed));
      const match = /^<tool_call>\n\{"name": "calculator", "arguments": (.*)\}\n<\/tool_call>$/s.exec(text);
      expect(match).not.toBeNull();
      expect(validate(JSON.parse(match![1]))).toBe(true);
      expect(constraint.accepts(text)).toBe(true);
    }
  });

  it('accepts free text around structures; a trigger must open a valid structure; at_least_one needs one', () => {
    const constraint = StructuralTagConstraint.fromSource(TAG);
    const call = '<tool_call>\n{"name": "calculator", "arguments": {"expression": "6 * 7"}}\n</tool_call>';
    expect(constraint.accepts(`Let me compute. ${call} Done.`)).toBe(true);
    expect(constraint.accepts('No tools needed.')).toBe(true);
    expect(constraint.accepts('<tool_call>\n{"name": "search"}')).toBe(false);
    expect(constraint.accepts(call.replace('"6 * 7"', '42'))).toBe(false);
    const atLeastOne = StructuralTagConstraint.fromSource({ ...TAG, at_least_one: true });
    expect(atLeastOne.accepts('No tools needed.')).toBe(false);
    expect(atLeastOne.accepts(call)).toBe(true);
  });

  it.each([
    ['not JSON', '{"structures": ['],
    ['no structures', { type: 'structural_tag', structures: [], triggers: ['<a>'] }],
    ['no triggers', { type: 'structural_tag', structures: [{ begin: '<a>', schema: {}, end: '</a>' }], triggers: [] }],
    ['a begin that no trigger starts', { ...TAG, triggers: ['<function='] }],
    ['a structure without a schema', { ...TAG, structures: [{ begin: '<tool_call>', end: '</tool_call>' }] }],
    ['an invalid schema inside', { ...TAG, structures: [{ ...TAG.structures[0], schema: { type: 'tuple' } }] }],
    ['the format form', { type: 'structural_tag', format: { type: 'const_string', value: 'x' } }],
  ])('refuses %s', (_, source) => {
    expect(() => StructuralTagConstraint.fromSource(source)).toThrow(ConstraintError);
  });
});

describe(ConstrainedDecoding.name, () => {
  let tokenizer: HfTokenizer;
  const compiler = new ConstraintCompiler();
  const EOS = 151645;

  // Loading the tokenizer and indexing its vocabulary take seconds on a busy machine.
  beforeAll(async () => {
    tokenizer = await HfTokenizer.load();
    VocabularyIndex.of(tokenizer);
  }, 30_000);

  /** Samples every step as the engine does, until EOS. */
  function decode(spec: ConstraintSpec, intended: string | null, seed: number, temperature = 1) {
    const random = new Random(seed);
    const decoding = ConstrainedDecoding.create({
      constraint: compiler.compile(spec),
      intended,
      random,
      tokenizer,
      eosId: EOS,
    });
    const ids: number[] = [];
    const logprobs: number[] = [];
    for (let position = 0; position < 2000; position++) {
      const candidates = decoding.candidates(1234, position);
      const sampled = sampleToken(candidates, { temperature, topP: 1, topK: -1 }, random);
      decoding.accept(sampled.id);
      ids.push(sampled.id);
      logprobs.push(sampled.logprob);
      if (sampled.id === EOS) break;
    }
    return { ids, logprobs, text: tokenizer.decode(ids.slice(0, -1)) };
  }

  it('writes a document of the constraint token by token, then EOS as the only token left', () => {
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' }, days: { type: 'integer' } },
      required: ['city', 'days'],
    };
    for (let seed = 0; seed < 10; seed++) {
      const { ids, logprobs, text } = decode({ kind: 'json_schema', schema: JSON.stringify(schema) }, null, seed, 3);
      expect(ids.at(-1)).toBe(EOS);
      expect(logprobs.at(-1)).toBe(0);
      expect(ajv.validate(schema, JSON.parse(text))).toBe(true);
      expect(logprobs.every((lp) => Number.isFinite(lp) && lp <= 0)).toBe(true);
    }
  });

  it('keeps the answer the model intended when the constraint accepts it, and replaces it when not', () => {
    const intended = '{"city": "Paris", "days": 3}';
    const schema = JSON.stringify({
      type: 'object',
      properties: { city: { type: 'string' }, days: { type: 'integer' } },
      required: ['city'],
    });
    expect(decode({ kind: 'json_schema', schema }, intended, 1).text).toBe(intended);
    const other = decode({ kind: 'json_schema', schema }, 'Paris, for 3 days.', 1).text;
    expect(other).not.toBe('Paris, for 3 days.');
    expect(JSON.parse(other)).toEqual(expect.objectContaining({ city: expect.any(String) }));
  });

  it('uses the tokenizer as a model would: real ids, the longest token intended, shorter ones as alternatives', () => {
    const { ids, text } = decode({ kind: 'regex', pattern: '<tool_call>\\n[a-z]{4}\\n</tool_call>' }, null, 3, 0);
    expect(text).toMatch(/^<tool_call>\n[a-z]{4}\n<\/tool_call>$/);
    // Qwen's vocabulary has <tool_call> as one (non-special) token: greedy takes it whole.
    expect(ids[0]).toBe(tokenizer.tokenToId('<tool_call>'));
    const decoding = ConstrainedDecoding.create({
      constraint: compiler.compile({ kind: 'choice', choices: ['interesting'] }),
      intended: null,
      random: new Random(1),
      tokenizer,
      eosId: EOS,
    });
    const candidates = decoding.candidates(1, 0);
    const texts = candidates.map((c) => tokenizer.decode([c.id]));
    expect(texts.every((t) => 'interesting'.startsWith(t))).toBe(true);
    expect(texts[0].length).toBe(Math.max(...texts.map((t) => t.length)));
    expect(candidates.length).toBeGreaterThan(1);
  });

  it('is deterministic for a seed', () => {
    const spec: ConstraintSpec = { kind: 'ebnf', grammar: 'root ::= ("ab" | "cd")+ [0-9]{2}' };
    expect(decode(spec, null, 42, 2)).toEqual(decode(spec, null, 42, 2));
  });

  it('builds the vocabulary index once per tokenizer', () => {
    expect(VocabularyIndex.of(tokenizer)).toBe(VocabularyIndex.of(tokenizer));
  });
});
