import { describe, expect, it } from '@jest/globals';
import { Random } from '../random.js';
import { ConstraintError } from './constraint-error.js';
import { EarleyRecognizer } from './earley.js';
import { parseEbnf } from './ebnf-parser.js';
import { generateFromGrammar } from './grammar-generator.js';
import { regexGrammar } from './regex-parser.js';

const seeds = Array.from({ length: 30 }, (_, i) => i);

describe('regex constraints', () => {
  it.each([
    ['\\d{3}-[A-Z]{2,4}(x|yz)+'],
    ['^(yes|no|maybe)$'],
    ['[a-z_][a-z0-9_]*\\((\\d+(, \\d+)*)?\\)'],
    ['-?(0|[1-9]\\d*)(\\.\\d{1,3})?'],
    ['(?:[^\\s"]+ ){2,3}[^\\s"]+'],
    ['\\w+@\\w+\\.(com|org)'],
    ['[\\u4e00-\\u4e05]{2}\\.'],
    ['a.b.c'],
    ['(?P<year>\\d{4})-(?<month>0[1-9]|1[0-2])'],
    ['x*?y+?z??'],
  ])('generates full matches of %s (checked with the JavaScript engine), recognised by the grammar', (pattern) => {
    const grammar = regexGrammar(pattern);
    const recognizer = new EarleyRecognizer(grammar);
    const js = new RegExp(
      `^(?:${pattern
        .replace(/^\^/, '')
        .replace(/\$$/, '')
        .replace(/\(\?P</g, '(?<')})$`,
      'u',
    );
    for (const seed of seeds) {
      const text = generateFromGrammar(grammar, new Random(seed));
      expect([text, js.test(text)]).toEqual([text, true]);
      expect(recognizer.accepts(text)).toBe(true);
    }
  });

  it('recognises exactly the strings the pattern matches', () => {
    const recognizer = new EarleyRecognizer(regexGrammar('(ab|a)(bc|c)?d{2,3}'));
    for (const text of ['abdd', 'abcdd', 'abbcddd', 'add', 'acdd'])
      expect([text, recognizer.accepts(text)]).toEqual([text, true]);
    for (const text of ['abd', 'abdddd', 'bcdd', 'abcbcdd', ''])
      expect([text, recognizer.accepts(text)]).toEqual([text, false]);
  });

  it.each([
    ['(?=lookahead)x', 'lookaround'],
    ['(?<!behind)x', 'lookaround'],
    ['(a)\\1', 'back-references'],
    ['(unclosed', 'missing )'],
    ['closed)', 'unbalanced'],
    ['[z-a]', 'bad character range'],
    ['*a', 'nothing to repeat'],
    ['a{3,2}', 'min repeat greater than max'],
    ['a\\bb', 'word boundaries'],
    ['[abc', 'unterminated character set'],
    ['a^b', 'anchor'],
  ])('refuses %s (%s)', (pattern, reason) => {
    expect(() => regexGrammar(pattern)).toThrow(ConstraintError);
    expect(() => regexGrammar(pattern)).toThrow(reason);
  });
});

/** A tool-call grammar in the shape SGLang's function-call parsers build for Qwen-style models. */
const TOOL_CALL_GRAMMAR = String.raw`
# one call of the calculator tool
root ::= "<tool_call>\n" function_call "\n</tool_call>"
function_call ::= "{" ws "\"name\"" ws ":" ws "\"calculator\"" ws "," ws "\"arguments\"" ws ":" ws arguments ws "}"
arguments ::= "{" ws "\"expression\"" ws ":" ws basic_string ws "}"
basic_string ::= "\"" basic_string_1 "\""
basic_string_1 ::= "" | [^"\\\x00-\x1F] basic_string_1 | "\\" escape basic_string_1
escape ::= ["\\/bfnrt] | "u" [A-Fa-f0-9]{4}
ws ::= [ \n\t]*
`;

describe('EBNF constraints', () => {
  it('derives tool calls from a tool-call grammar: the tags around one JSON object naming the tool', () => {
    const grammar = parseEbnf(TOOL_CALL_GRAMMAR);
    const recognizer = new EarleyRecognizer(grammar);
    for (const seed of seeds) {
      const text = generateFromGrammar(grammar, new Random(seed));
      const match = /^<tool_call>\n([\s\S]*)\n<\/tool_call>$/.exec(text);
      expect(match).not.toBeNull();
      const call = JSON.parse(match![1]) as { name: string; arguments: { expression: unknown } };
      expect(call.name).toBe('calculator');
      expect(typeof call.arguments.expression).toBe('string');
      expect(recognizer.accepts(text)).toBe(true);
    }
    expect(
      recognizer.accepts('<tool_call>\n{"name": "calculator", "arguments": {"expression": "6 * 7"}}\n</tool_call>'),
    ).toBe(true);
    expect(recognizer.accepts('<tool_call>\n{"name": "search", "arguments": {"expression": "x"}}\n</tool_call>')).toBe(
      false,
    );
    expect(recognizer.accepts('<tool_call>\n{"name": "calculator", "arguments": {"expression": "x"}}')).toBe(false);
  });

  it('ends recursive rules: balanced brackets, nested lists, left recursion', () => {
    const grammar = parseEbnf(`
root ::= list
list ::= "[" (item ("," item)*)? "]"
item ::= list | num
num ::= "0" | [1-9] [0-9]*
`);
    const leftRecursive = parseEbnf('root ::= root "+" term | term\nterm ::= "x" | "(" root ")"');
    for (const seed of seeds) {
      const list = generateFromGrammar(grammar, new Random(seed));
      expect(() => JSON.parse(list) as unknown).not.toThrow();
      const sum = generateFromGrammar(leftRecursive, new Random(seed));
      expect(sum).toMatch(/^[x+()]+$/);
      expect(new EarleyRecognizer(leftRecursive).accepts(sum)).toBe(true);
    }
  });

  it('reads alternatives, classes, quantifiers, single quotes, escapes and rule bodies that span lines', () => {
    const grammar = parseEbnf(`root ::= greeting
  ( " " name )?   # an optional name
  '!'{1,3}
greeting ::= "hello" | "hi"
name ::= [A-Z] [a-z]{2,}`);
    const recognizer = new EarleyRecognizer(grammar);
    for (const text of ['hello!', 'hi Ada!!!', 'hello Bob!'])
      expect([text, recognizer.accepts(text)]).toEqual([text, true]);
    for (const text of ['hello', 'hi ada!', 'hey!', 'hi Ada!!!!'])
      expect([text, recognizer.accepts(text)]).toEqual([text, false]);
  });

  it.each([
    ['no root rule', 'start ::= "x"', 'root'],
    ['an undefined rule', 'root ::= missing', 'not defined'],
    ['an unterminated string', 'root ::= "abc', 'unterminated string'],
    ['a rule without ::=', 'root = "x"', 'expected ::='],
    ['a duplicate rule', 'root ::= "a"\nroot ::= "b"', 'more than once'],
    ['a lookahead assertion', 'root ::= "a" (= "b")', 'lookahead'],
    ['a built-in macro', 'root ::= TagDispatch(("<a>", x))\nx ::= "1"', 'built-in function'],
    ['an invalid escape', 'root ::= "\\q"', 'invalid escape'],
    ['a grammar that derives nothing', 'root ::= root "a"', 'derives no string'],
    ['an empty grammar', '# nothing here', 'empty'],
  ])('refuses %s', (_, text, reason) => {
    expect(() => parseEbnf(text)).toThrow(ConstraintError);
    expect(() => parseEbnf(text)).toThrow(reason);
  });
});
