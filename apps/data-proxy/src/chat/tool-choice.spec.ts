import { describe, expect, it } from '@jest/globals';
import { TOOL_CALL_PARSERS } from '@app/common';
import { statusOf } from '@app/common/testing';
import { ToolSet } from './output-parser.js';
import { outputParserFor } from './parsers/parser-registry.js';
import type { ToolCallSyntax } from './parsers/parser-types.js';
import { literal, toolChoiceConstraint } from './tool-choice.js';

/**
 * A small recognizer for the EBNF subset the grammar uses (`::=` rules, quoted literals, character
 * classes, grouping, `|`, `*`, `+`, `?`), so the test checks what the grammar accepts rather than
 * how it is spelled. Each node maps a start position to the set of positions it can end at.
 */
type Node = (text: string, at: number) => Set<number>;

function compile(grammar: string): (text: string) => boolean {
  const rules = new Map<string, Node>();
  const sources = new Map<string, string>();
  for (const line of grammar.split('\n')) {
    const match = /^(\w+) ::= (.*)$/.exec(line);
    if (!match) throw new Error(`not a rule: ${line}`);
    sources.set(match[1], match[2]);
  }
  const parse = (source: string): Node => {
    let i = 0;
    const skip = (): void => {
      while (source[i] === ' ') i++;
    };
    const alternation = (): Node => {
      const options = [sequence()];
      skip();
      while (source[i] === '|') {
        i++;
        options.push(sequence());
        skip();
      }
      return (text, at) => new Set(options.flatMap((o) => [...o(text, at)]));
    };
    const sequence = (): Node => {
      const items: Node[] = [];
      for (;;) {
        skip();
        if (i >= source.length || source[i] === '|' || source[i] === ')') break;
        items.push(postfix());
      }
      return (text, at) =>
        items.reduce((ends, item) => new Set([...ends].flatMap((e) => [...item(text, e)])), new Set([at]));
    };
    const postfix = (): Node => {
      let node = atom();
      while ('*+?'.includes(source[i]) && i < source.length) {
        const inner = node;
        const op = source[i++];
        node = (text, at) => {
          const ends = new Set<number>(op === '+' ? [] : [at]);
          let frontier = new Set([at]);
          for (let round = 0; frontier.size > 0 && round < 10_000; round++) {
            const next = new Set<number>();
            for (const e of frontier) for (const n of inner(text, e)) if (!ends.has(n)) next.add(n);
            for (const n of next) ends.add(n);
            if (op === '?') break;
            frontier = next;
          }
          return ends;
        };
      }
      return node;
    };
    const unescape = (c: string): string => ({ n: '\n', t: '\t' })[c] ?? c;
    const atom = (): Node => {
      skip();
      const c = source[i];
      if (c === '(') {
        i++;
        const inner = alternation();
        skip();
        i++; // ')'
        return inner;
      }
      if (c === '"') {
        let value = '';
        i++;
        while (source[i] !== '"') {
          value += source[i] === '\\' ? unescape(source[++i]) : source[i];
          i++;
        }
        i++;
        return (text, at) => new Set(text.startsWith(value, at) ? [at + value.length] : []);
      }
      if (c === '[') {
        i++;
        const negated = source[i] === '^';
        if (negated) i++;
        const ranges: [string, string][] = [];
        while (source[i] !== ']') {
          const from = source[i] === '\\' ? unescape(source[++i]) : source[i];
          i++;
          let to = from;
          if (source[i] === '-' && source[i + 1] !== ']') {
            i++;
            to = source[i] === '\\' ? unescape(source[++i]) : source[i];
            i++;
          }
          ranges.push([from, to]);
        }
        i++;
        return (text, at) => {
          if (at >= text.length) return new Set();
          const inClass = ranges.some(([from, to]) => text[at] >= from && text[at] <= to);
          return new Set(inClass !== negated ? [at + 1] : []);
        };
      }
      const name = /^\w+/.exec(source.slice(i))![0];
      i += name.length;
      return (text, at) => rules.get(name)!(text, at);
    };
    const node = alternation();
    if (i < source.length) throw new Error(`unparsed: ${source.slice(i)}`);
    return node;
  };
  for (const [name, source] of sources) rules.set(name, parse(source));
  return (text) => rules.get('root')!(text, 0).has(text.length);
}

const TOOLS = [
  {
    type: 'function',
    function: { name: 'calculator', parameters: { type: 'object', properties: { expression: { type: 'string' } } } },
  },
  { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } },
];
const NAMES = ['calculator', 'get_weather'];
const THINK = { start: '<think>', end: '</think>' };

/** One call of `name` with `expression` = 6 * 7 as a model of this format writes it. */
function written(syntax: ToolCallSyntax, name: string): string {
  const args = {
    json: '{"expression": "6 * 7"}',
    'json-envelope': '{"expression": "6 * 7"}',
    'xml-parameters': '<parameter=expression>\n6 * 7\n</parameter>\n',
    'arg-key-value': '<arg_key>expression</arg_key>\n<arg_value>6 * 7</arg_value>\n',
    'python-kwargs': "expression='6 * 7'",
  }[syntax.arguments];
  return `${syntax.callBegin(name)}${args}${syntax.callEnd}`;
}
const section = (syntax: ToolCallSyntax, calls: string[]): string =>
  `${syntax.sectionBegin}${calls.join(syntax.separator)}${syntax.sectionEnd}`;

const grammarOf = (constraint: unknown): string => (constraint as { kind: 'ebnf'; grammar: string }).grammar;

describe('toolChoiceConstraint: a forced tool choice as a grammar of the model’s own tool-call format', () => {
  it('auto and none leave decoding free', () => {
    expect(toolChoiceConstraint('auto', NAMES, true, null, null)).toBeNull();
    expect(toolChoiceConstraint('none', NAMES, true, null, null)).toBeNull();
  });

  it('a model whose calls are not parsed cannot be forced to call: a 400 naming tool_choice', () => {
    expect(statusOf(() => toolChoiceConstraint('required', NAMES, true, null, null))).toBe(400);
  });

  const parsers = TOOL_CALL_PARSERS.filter((name) => name !== 'auto' && name !== 'none');
  it.each(parsers)('%s: what the grammar allows is a call, and the family’s parser reads it back', (name) => {
    const output = outputParserFor(name, 'none');
    const syntax = output.toolCallSyntax!;
    expect(syntax).not.toBeNull();
    const accepts = compile(grammarOf(toolChoiceConstraint('required', NAMES, true, syntax, null)));
    const one = section(syntax, [written(syntax, 'calculator')]);
    const two = section(syntax, [written(syntax, 'calculator'), written(syntax, 'get_weather')]);
    expect(accepts(one)).toBe(true);
    // A format whose call ends the generation (gpt-oss) makes one call per turn.
    expect(accepts(two)).toBe(!syntax.oneCallPerTurn);
    expect(accepts('The answer is 42.')).toBe(false);
    expect(accepts(section(syntax, [written(syntax, 'rm_rf')]))).toBe(false);
    const parsed = output.parse(syntax.oneCallPerTurn ? one : two, new ToolSet(TOOLS));
    expect(parsed.toolCalls.map((c) => c.function.name)).toEqual(
      syntax.oneCallPerTurn ? ['calculator'] : ['calculator', 'get_weather'],
    );
    expect(JSON.parse(parsed.toolCalls[0].function.arguments)).toEqual({ expression: '6 * 7' });
    // One named call: exactly that one.
    const named = compile(grammarOf(toolChoiceConstraint({ name: 'get_weather' }, NAMES, true, syntax, null)));
    expect(named(section(syntax, [written(syntax, 'get_weather')]))).toBe(true);
    expect(named(one)).toBe(false);
    expect(named(two)).toBe(false);
  });

  it('Qwen: any JSON arguments, a think block first, one call when parallel calls are off', () => {
    const syntax = outputParserFor('qwen', 'qwen3').toolCallSyntax!;
    const call = (name: string, args: string) => `<tool_call>\n{"name": "${name}", "arguments": ${args}}\n</tool_call>`;
    const accepts = compile(grammarOf(toolChoiceConstraint('required', NAMES, true, syntax, THINK)));
    expect(accepts(call('get_weather', '{"city": "Paris", "days": [1, 2.5e3], "ok": true, "x": null}'))).toBe(true);
    expect(accepts(`<think>\nit is <b>cold</b>, I think\n</think>\n\n${call('calculator', '{}')}`)).toBe(true);
    expect(accepts(`Sure. ${call('calculator', '{}')}`)).toBe(false);
    expect(accepts(call('calculator', '"Paris"'))).toBe(false);
    expect(accepts(call('calculator', '{"city": "Par'))).toBe(false);
    const single = compile(grammarOf(toolChoiceConstraint('required', NAMES, false, syntax, THINK)));
    expect(single(call('calculator', '{}'))).toBe(true);
    expect(single(`${call('calculator', '{}')}\n${call('get_weather', '{}')}`)).toBe(false);
  });

  it('tool names and markers are escaped for EBNF', () => {
    expect(literal('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
    const syntax = outputParserFor('qwen', 'none').toolCallSyntax!;
    const accepts = compile(grammarOf(toolChoiceConstraint('required', ['say "hi"'], true, syntax, null)));
    expect(accepts('<tool_call>\n{"name": "say \\"hi\\"", "arguments": {}}\n</tool_call>')).toBe(true);
  });
});
