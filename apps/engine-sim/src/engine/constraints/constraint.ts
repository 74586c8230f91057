import type { Random } from '../random.js';
import { ConstraintError } from './constraint-error.js';
import { parseEbnf } from './ebnf-parser.js';
import { EarleyRecognizer } from './earley.js';
import { generateFromGrammar } from './grammar-generator.js';
import type { Grammar } from './grammar.js';
import { JsonObjectConstraint, JsonSchemaConstraint } from './json-schema.js';
import { regexGrammar } from './regex-parser.js';
import { StructuralTagConstraint } from './structural-tag.js';

/**
 * What a request asks its output to match, as the protocols carry it: SGLang's `sampling_params`
 * `json_schema` (a JSON string), `regex`, `ebnf`, `structural_tag` (a JSON string); vLLM's
 * `structured_outputs` `json` (string or object), `json_object`, `regex`, `grammar`, `choice`,
 * `structural_tag` (a JSON string).
 */
export type ConstraintSpec =
  | { kind: 'json_schema'; schema: unknown }
  | { kind: 'json_object' }
  | { kind: 'regex'; pattern: string }
  | { kind: 'ebnf'; grammar: string }
  | { kind: 'structural_tag'; tag: unknown }
  | { kind: 'choice'; choices: string[] };

/** A compiled constraint: stateless, so one compilation serves every request that sends it. */
export interface CompiledConstraint {
  readonly kind: ConstraintSpec['kind'];
  /** A whole output the constraint accepts, chosen with `random`. */
  generate(random: Random): string;
  /** Whether `text` is a whole output the constraint accepts. */
  accepts(text: string): boolean;
}

/** Outputs longer than this are never checked against a grammar (the model's intent is dropped instead). */
const MAX_CHECKED_LENGTH = 8192;
const CACHE_SIZE = 64;

/** A grammar (regex or EBNF) as a constraint; its recognizer is built the first time it is asked. */
class GrammarConstraint implements CompiledConstraint {
  private recognizer: EarleyRecognizer | null = null;

  constructor(
    readonly kind: 'regex' | 'ebnf',
    private readonly grammar: Grammar,
  ) {}

  generate(random: Random): string {
    return generateFromGrammar(this.grammar, random);
  }

  accepts(text: string): boolean {
    if (text.length > MAX_CHECKED_LENGTH) return false;
    this.recognizer ??= new EarleyRecognizer(this.grammar);
    return this.recognizer.accepts(text);
  }
}

class ChoiceConstraint implements CompiledConstraint {
  readonly kind = 'choice';

  constructor(private readonly choices: string[]) {}

  generate(random: Random): string {
    return this.choices[random.int(0, this.choices.length - 1)];
  }

  accepts(text: string): boolean {
    return this.choices.includes(text);
  }
}

function compile(spec: ConstraintSpec): CompiledConstraint {
  switch (spec.kind) {
    case 'json_schema':
      return withKind('json_schema', JsonSchemaConstraint.fromSource(spec.schema));
    case 'json_object':
      return withKind('json_object', new JsonObjectConstraint());
    case 'regex':
      return new GrammarConstraint('regex', regexGrammar(spec.pattern));
    case 'ebnf':
      return new GrammarConstraint('ebnf', parseEbnf(spec.grammar));
    case 'structural_tag':
      return withKind('structural_tag', StructuralTagConstraint.fromSource(spec.tag));
    case 'choice':
      if (spec.choices.length === 0) throw new ConstraintError('choice must not be empty');
      return new ChoiceConstraint(spec.choices);
  }
}

function withKind(
  kind: CompiledConstraint['kind'],
  constraint: Pick<CompiledConstraint, 'generate' | 'accepts'>,
): CompiledConstraint {
  return { kind, generate: (r) => constraint.generate(r), accepts: (t) => constraint.accepts(t) };
}

/**
 * Compiles constraints, keeping the most recent ones (as the engines keep compiled grammars: an
 * agent sends the same tool-call grammar every turn). Throws `ConstraintError` for one that does
 * not compile.
 */
export class ConstraintCompiler {
  private readonly cache = new Map<string, CompiledConstraint>();

  compile(spec: ConstraintSpec): CompiledConstraint {
    const key = JSON.stringify(spec);
    const cached = this.cache.get(key);
    if (cached) {
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached;
    }
    const compiled = compile(spec);
    this.cache.set(key, compiled);
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    return compiled;
  }
}
