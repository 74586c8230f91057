import type { Random } from '../random.js';
import { ConstraintError } from './constraint-error.js';
import { JsonSchemaConstraint } from './json-schema.js';

interface Structure {
  begin: string;
  end: string;
  schema: JsonSchemaConstraint;
}

/**
 * SGLang's `structural_tag` (the form its OpenAI server and tool parsers send, which both engines
 * pass to xgrammar):
 *
 *     {"type": "structural_tag",
 *      "structures": [{"begin": "<tool_call>\n{\"name\": \"calc\", \"arguments\": ", "schema": {...}, "end": "}\n</tool_call>"}],
 *      "triggers": ["<tool_call>"], "at_least_one": false}
 *
 * Text is free until a trigger appears; a trigger must open one of the structures whose `begin`
 * starts with it, whose content is JSON valid against its schema, closed by its `end`; then free
 * text again. With `at_least_one` the output must hold a structure. xgrammar's newer
 * `{"format": ...}` form is refused (engine-sim does not implement it).
 */
export class StructuralTagConstraint {
  private constructor(
    private readonly structures: Structure[],
    private readonly triggers: string[],
    private readonly atLeastOne: boolean,
  ) {}

  static fromSource(source: unknown): StructuralTagConstraint {
    let tag: unknown = source;
    if (typeof source === 'string') {
      try {
        tag = JSON.parse(source) as unknown;
      } catch (err) {
        throw new ConstraintError(`Invalid structural_tag: ${(err as Error).message}`);
      }
    }
    if (typeof tag !== 'object' || tag === null || Array.isArray(tag))
      throw new ConstraintError('Invalid structural_tag: expected a JSON object');
    const obj = tag as Record<string, unknown>;
    if (obj.format !== undefined && obj.structures === undefined)
      throw new ConstraintError(
        'Invalid structural_tag: engine-sim supports the form with "structures" and "triggers", not "format"',
      );
    if (!Array.isArray(obj.structures) || obj.structures.length === 0)
      throw new ConstraintError('Invalid structural_tag: "structures" must be a non-empty list');
    if (
      !Array.isArray(obj.triggers) ||
      obj.triggers.length === 0 ||
      obj.triggers.some((t) => typeof t !== 'string' || t === '')
    )
      throw new ConstraintError('Invalid structural_tag: "triggers" must be a non-empty list of strings');
    const triggers = obj.triggers as string[];
    const structures = (obj.structures as unknown[]).map((entry, i): Structure => {
      const s = entry as Record<string, unknown>;
      if (typeof s !== 'object' || s === null || typeof s.begin !== 'string' || typeof s.end !== 'string')
        throw new ConstraintError(`Invalid structural_tag: structures[${i}] needs "begin" and "end" strings`);
      if (s.schema === undefined) throw new ConstraintError(`Invalid structural_tag: structures[${i}] has no "schema"`);
      if (!triggers.some((t) => (s.begin as string).startsWith(t)))
        throw new ConstraintError(`Invalid structural_tag: structures[${i}].begin does not start with any trigger`);
      return { begin: s.begin, end: s.end, schema: JsonSchemaConstraint.fromSource(s.schema) };
    });
    return new StructuralTagConstraint(structures, triggers, obj.at_least_one === true);
  }

  /** One structure, as a model calling a tool writes it. */
  generate(random: Random): string {
    const s = this.structures[random.int(0, this.structures.length - 1)];
    return `${s.begin}${s.schema.generate(random)}${s.end}`;
  }

  accepts(text: string): boolean {
    let pos = 0;
    let tags = 0;
    for (;;) {
      const at = this.nextTrigger(text, pos);
      if (at < 0) return tags > 0 || !this.atLeastOne;
      const matched = this.structures.find((s) => {
        if (!text.startsWith(s.begin, at)) return false;
        const start = at + s.begin.length;
        const end = jsonValueEnd(text, start);
        return end >= 0 && text.startsWith(s.end, end) && s.schema.accepts(text.slice(start, end));
      });
      if (!matched) return false;
      pos = jsonValueEnd(text, at + matched.begin.length) + matched.end.length;
      tags++;
    }
  }

  private nextTrigger(text: string, from: number): number {
    let best = -1;
    for (const trigger of this.triggers) {
      const at = text.indexOf(trigger, from);
      if (at >= 0 && (best < 0 || at < best)) best = at;
    }
    return best;
  }
}

/** Where the JSON value starting at `start` (after optional whitespace) ends, or -1. */
export function jsonValueEnd(text: string, start: number): number {
  let i = start;
  while (i < text.length && /\s/.test(text[i])) i++;
  let depth = 0;
  let inString = false;
  for (; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') {
        inString = false;
        if (depth === 0) return i + 1;
      }
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) return i + 1;
      if (depth < 0) return -1;
    } else if (depth === 0 && /[\s,}\]]/.test(ch)) return i;
  }
  return depth === 0 && !inString ? text.length : -1;
}
