import type { GenerationConstraint } from '../inference/engine-backend.js';
import type { ToolCallSyntax } from './parsers/parser-types.js';
import { badRequest } from './request-surface.js';

/**
 * What the request asks of tool calls: `none` (nothing parsed), `auto` (the model decides),
 * `required` (at least one call of the given tools) or one named function. The last two are
 * honoured by constraining decoding to the served model's own tool-call format.
 */
export type ToolChoice = 'none' | 'auto' | 'required' | { name: string };

/** The markers around the reasoning a model may write before its calls (`<think>`, `</think>`). */
export interface ReasoningMarkers {
  start: string;
  end: string;
}

/** A JS string as an EBNF literal (the dialect SGLang's `ebnf` and vLLM's `grammar` take). */
export function literal(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;
}

function charClassEscape(char: string): string {
  if (char === '\n') return '\\n';
  if (char === '\t') return '\\t';
  return char === '\\' || char === ']' || char === '^' || char === '-' ? `\\${char}` : char;
}

/**
 * Any text that does not contain `end` (so that `end` closes it): a character other than end's
 * first, or a proper prefix of `end` followed by a character that does not continue it.
 */
function textWithout(end: string): string {
  const alternatives = [`[^${charClassEscape(end[0])}]`];
  for (let i = 1; i < end.length; i++) alternatives.push(`${literal(end.slice(0, i))} [^${charClassEscape(end[i])}]`);
  return `( ${alternatives.join(' | ')} )*`;
}

/** Any JSON value (the tool's parameter schema is not enforced by the grammar, only JSON). */
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

/** How each argument layout is written, as the `args` rule and the rules it needs. */
const ARGUMENT_RULES: Record<ToolCallSyntax['arguments'], string[]> = {
  json: ['args ::= object'],
  // The whole call is one JSON object; the call's prefix ends right before its arguments object.
  'json-envelope': ['args ::= object'],
  // Qwen3-Coder: `<parameter=KEY>\nVALUE\n</parameter>\n` per argument.
  'xml-parameters': [
    `args ::= ( ${literal('<parameter=')} key ${literal('>\n')} ${textWithout('\n</parameter>')} ${literal('\n</parameter>\n')} )*`,
    'key ::= [A-Za-z0-9_.-]+',
  ],
  // GLM: `<arg_key>KEY</arg_key>\n<arg_value>VALUE</arg_value>\n` per argument.
  'arg-key-value': [
    `args ::= ( ${literal('<arg_key>')} key ${literal('</arg_key>')} "\\n"? ${literal('<arg_value>')} ${textWithout('</arg_value>')} ${literal('</arg_value>')} "\\n"? )*`,
    'key ::= [A-Za-z0-9_.-]+',
  ],
  // Pythonic: `key=literal` separated by `, `.
  'python-kwargs': [
    'args ::= ( kwarg ( ", " kwarg )* )?',
    'kwarg ::= [A-Za-z_] [A-Za-z0-9_]* "=" pyvalue',
    'pyvalue ::= string | pystring | number | "True" | "False" | "None" | pylist | pydict',
    `pystring ::= "'" ( [^'\\\\\\n] | "\\\\" [^\\n] )* "'"`,
    'pylist ::= "[" ws ( pyvalue ( ws "," ws pyvalue )* )? ws "]"',
    'pydict ::= "{" ws ( pyentry ( ws "," ws pyentry )* )? ws "}"',
    'pyentry ::= ( string | pystring ) ws ":" ws pyvalue',
  ],
};

/**
 * The constraint that honours a tool choice, or null when the choice leaves the model free:
 * `required` → one or more calls of the given tools (exactly one when parallel calls are off),
 * a named function → exactly one call of it, each written in the served model's tool-call format
 * (`syntax`, the tool-call parser's), after the reasoning block its format allows. What the
 * grammar lets through, the same parser reads back as tool calls.
 */
export function toolChoiceConstraint(
  choice: ToolChoice,
  toolNames: readonly string[],
  parallel: boolean,
  syntax: ToolCallSyntax | null,
  reasoning: ReasoningMarkers | null,
): GenerationConstraint | null {
  if (choice === 'none' || choice === 'auto') return null;
  if (!syntax)
    throw badRequest(
      'tool_choice: a forced tool call needs the served model’s tool-call format, and this data proxy parses none (--tool-call-parser none)',
      'tool_choice',
    );
  const names = typeof choice === 'object' ? [choice.name] : toolNames;
  const one = typeof choice === 'object' || !parallel || syntax.oneCallPerTurn === true;
  const repeat = syntax.separator.length > 0 ? `( ${literal(syntax.separator)} call )*` : 'call*';
  const section = [syntax.sectionBegin, 'calls', syntax.sectionEnd]
    .map((part, i) => (i === 1 ? part : part.length > 0 ? literal(part) : ''))
    .filter((part) => part.length > 0)
    .join(' ');
  const rules = [
    `root ::= ${reasoning ? 'reasoning? ' : ''}${section}`,
    `calls ::= call${one ? '' : ` ${repeat}`}`,
    `call ::= ${names.map((_, i) => `call${i}`).join(' | ')}`,
    ...names.map((name, i) => `call${i} ::= ${literal(syntax.callBegin(name))} args ${literal(syntax.callEnd)}`),
    ...ARGUMENT_RULES[syntax.arguments],
    ...(reasoning
      ? [`reasoning ::= ${literal(reasoning.start)}? ${textWithout(reasoning.end)} ${literal(reasoning.end)} ws`]
      : []),
    ...JSON_RULES,
  ];
  return { kind: 'ebnf', grammar: rules.join('\n') };
}
