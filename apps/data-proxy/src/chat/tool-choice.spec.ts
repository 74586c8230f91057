import { describe, expect, it } from '@jest/globals';
import { parseToolCalls } from './output-parser.js';
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

const CALL = (name: string, args: string) => `<tool_call>\n{"name": "${name}", "arguments": ${args}}\n</tool_call>`;

describe('toolChoiceConstraint: a forced tool choice as a grammar of Qwen’s tool-call format', () => {
  it('auto and none leave decoding free', () => {
    expect(toolChoiceConstraint('auto', ['f'], true)).toBeNull();
    expect(toolChoiceConstraint('none', ['f'], true)).toBeNull();
  });

  it('required: one or more calls of the given tools (after an optional think block), nothing else', () => {
    const constraint = toolChoiceConstraint('required', ['get_weather', 'calculator'], true);
    expect(constraint?.kind).toBe('ebnf');
    const accepts = compile((constraint as { grammar: string }).grammar);
    const one = CALL('get_weather', '{"city": "Paris", "days": [1, 2.5e3], "ok": true, "x": null}');
    expect(accepts(one)).toBe(true);
    expect(accepts(`${one}\n${CALL('calculator', '{}')}`)).toBe(true);
    expect(accepts(`<think>\nit is <b>cold</b>, I think\n</think>\n\n${one}`)).toBe(true);
    expect(accepts(CALL('rm_rf', '{}'))).toBe(false);
    expect(accepts('It is sunny.')).toBe(false);
    expect(accepts(`Sure. ${one}`)).toBe(false);
    expect(accepts(CALL('get_weather', '"Paris"'))).toBe(false);
    expect(accepts(CALL('get_weather', '{"city": "Par'))).toBe(false);
    // What the grammar allows, the tool-call parser reads back as calls.
    expect(
      parseToolCalls(`${one}\n${CALL('calculator', '{}')}`, new Set(['get_weather', 'calculator'])).toolCalls,
    ).toHaveLength(2);
  });

  it('a named function, or required without parallel calls: exactly one call', () => {
    const named = compile(
      (toolChoiceConstraint({ name: 'calculator' }, ['get_weather', 'calculator'], true) as { grammar: string })
        .grammar,
    );
    expect(named(CALL('calculator', '{"expression": "6 * 7"}'))).toBe(true);
    expect(named(CALL('get_weather', '{}'))).toBe(false);
    expect(named(`${CALL('calculator', '{}')}\n${CALL('calculator', '{}')}`)).toBe(false);
    const single = compile((toolChoiceConstraint('required', ['f', 'g'], false) as { grammar: string }).grammar);
    expect(single(CALL('g', '{}'))).toBe(true);
    expect(single(`${CALL('f', '{}')}\n${CALL('g', '{}')}`)).toBe(false);
  });

  it('tool names are written as JSON strings, escaped for EBNF', () => {
    expect(literal('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
    const accepts = compile((toolChoiceConstraint('required', ['say "hi"'], true) as { grammar: string }).grammar);
    expect(accepts(CALL('say \\"hi\\"', '{}'))).toBe(true);
  });
});
