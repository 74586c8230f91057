import type { GenerationConstraint } from '../inference/engine-backend.js';

/**
 * What the request asks of tool calls: `none` (nothing parsed), `auto` (the model decides),
 * `required` (at least one call of the given tools) or one named function. The last two are
 * honoured by constraining decoding to the model's own tool-call format.
 */
export type ToolChoice = 'none' | 'auto' | 'required' | { name: string };

/**
 * How one model family writes tool calls, as EBNF pieces (the grammar dialect SGLang's `ebnf` and
 * vLLM's `grammar` take: `::=` rules, quoted literals, character classes, `|`, `*`, `+`, `?`).
 */
export interface ToolCallFormat {
  /** One call: an EBNF expression around the rule names of the (quoted) tool name and the arguments object. */
  call(nameRule: string, argumentsRule: string): string;
  /** Between two calls of one turn. */
  separator: string;
  /** The reasoning the model may write before its calls (a think block), or null. */
  reasoning: string | null;
}

/** A JS string as an EBNF literal. */
export function literal(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/**
 * Any text that does not contain `end` (so that `end` closes it), as an EBNF expression: a
 * character other than end's first, or a proper prefix of `end` followed by a character that
 * does not continue it.
 */
function textWithout(end: string): string {
  const alternatives = [`[^${charClassEscape(end[0])}]`];
  for (let i = 1; i < end.length; i++) alternatives.push(`${literal(end.slice(0, i))} [^${charClassEscape(end[i])}]`);
  return `( ${alternatives.join(' | ')} )*`;
}

function charClassEscape(char: string): string {
  return char === '\\' || char === ']' || char === '^' || char === '-' ? `\\${char}` : char;
}

/**
 * Qwen's (Hermes-style) format: `<tool_call>\n{"name": "f", "arguments": {...}}\n</tool_call>`,
 * calls separated by a newline, after an optional `<think>…</think>` block.
 */
const HERMES: ToolCallFormat = {
  call: (name, args) =>
    `${literal('<tool_call>\n{"name": ')} ${name} ${literal(', "arguments": ')} ${args} ${literal('}\n</tool_call>')}`,
  separator: literal('\n'),
  reasoning: `${literal('<think>')} ${textWithout('</think>')} ${literal('</think>')} ws`,
};

/**
 * The served model's tool-call format. Today every model the data proxy serves speaks Qwen's; a
 * model family with another format adds its `ToolCallFormat` here (and its parser beside
 * `output-parser.ts`).
 */
export function toolCallFormat(): ToolCallFormat {
  return HERMES;
}

/** Any JSON object (the arguments; the tool's parameter schema is not enforced by the grammar). */
const JSON_RULES = [
  'object ::= "{" ws ( member ( ws "," ws member )* )? ws "}"',
  'member ::= string ws ":" ws value',
  'value ::= object | array | string | number | "true" | "false" | "null"',
  'array ::= "[" ws ( value ( ws "," ws value )* )? ws "]"',
  'string ::= "\\"" ( [^"\\\\\\n] | "\\\\" escape )* "\\""',
  'escape ::= ["\\\\/bfnrt] | "u" hex hex hex hex',
  'hex ::= [0-9a-fA-F]',
  'number ::= "-"? ( "0" | [1-9] [0-9]* ) ( "." [0-9]+ )? ( [eE] [-+]? [0-9]+ )?',
  'ws ::= [ \\t\\n]*',
];

/**
 * The constraint that honours a tool choice, or null when the choice leaves the model free:
 * `required` → one or more calls of the given tools (exactly one when parallel calls are off),
 * a named function → exactly one call of it. The grammar is the model's own tool-call format,
 * so the answer parses into tool calls as any other answer does.
 */
export function toolChoiceConstraint(
  choice: ToolChoice,
  toolNames: readonly string[],
  parallel: boolean,
  format: ToolCallFormat = toolCallFormat(),
): GenerationConstraint | null {
  if (choice === 'none' || choice === 'auto') return null;
  const names = typeof choice === 'object' ? [choice.name] : toolNames;
  const one = typeof choice === 'object' || !parallel;
  const rules = [
    `root ::= ${format.reasoning ? 'reasoning? ' : ''}calls`,
    `calls ::= call${one ? '' : ` ( ${format.separator} call )*`}`,
    `call ::= ${format.call('name', 'object')}`,
    `name ::= ${names.map((name) => literal(JSON.stringify(name))).join(' | ')}`,
    ...(format.reasoning ? [`reasoning ::= ${format.reasoning}`] : []),
    ...JSON_RULES,
  ];
  return { kind: 'ebnf', grammar: rules.join('\n') };
}
