import { describe, expect, it } from '@jest/globals';
import { REASONING_PARSERS, TOOL_CALL_PARSERS } from '@app/common';
import type { TokenFamily } from '@app/tokenizer';
import { joinLeadingThink, splitLeadingThink } from '../leading-think.js';
import { harmonyHistory } from './harmony-parser.js';
import { autoReasoningParser, autoToolCallParser, outputParserFor, type ModelSignals } from './parser-registry.js';
import { ToolSet } from './parser-types.js';

function signals(s: { template?: string; modelType?: string; family?: TokenFamily; tokens?: string[] }): ModelSignals {
  return {
    template: s.template ?? null,
    modelType: s.modelType ?? null,
    family: s.family ?? 'other',
    hasToken: (token) => (s.tokens ?? []).includes(token),
  };
}

describe('parser names', () => {
  it('every name the flags accept builds a parser', () => {
    for (const tools of TOOL_CALL_PARSERS.filter((n) => n !== 'auto'))
      for (const reasoning of REASONING_PARSERS.filter((n) => n !== 'auto'))
        expect(() => outputParserFor(tools, reasoning)).not.toThrow();
  });

  it('none parses no tool calls; every other tool-call parser describes its call format', () => {
    expect(outputParserFor('none', 'none').parsesToolCalls).toBe(false);
    expect(outputParserFor('none', 'none').toolCallSyntax).toBeNull();
    for (const tools of TOOL_CALL_PARSERS.filter((n) => n !== 'auto' && n !== 'none')) {
      const syntax = outputParserFor(tools, 'none').toolCallSyntax!;
      expect(syntax.trigger.length).toBeGreaterThan(0);
      expect(syntax.callBegin('get_weather')).toContain('get_weather');
    }
  });
});

describe('auto', () => {
  it.each([
    [{ template: '...<|channel|>...' }, 'gpt-oss', 'gpt-oss'],
    [
      { template: "'<｜tool▁calls▁begin｜>' + 'function<｜tool▁sep｜>'", family: 'deepseek' as const },
      'deepseekv3',
      'none',
    ],
    [{ template: "'<｜tool▁calls▁begin｜>' + name + '<｜tool▁sep｜>' </think>" }, 'deepseekv31', 'qwen3'],
    [{ template: '<tool_call>{{ name }}<arg_key> <think></think>' }, 'glm45', 'glm45'],
    [{ template: '<tool_call>\n<function=' }, 'qwen3_coder', 'none'],
    [{ template: '<tool_call> <think>', tokens: ['</think>'] }, 'qwen25', 'qwen3'],
    [{ template: '<|tool_calls_section_begin|> </think>' }, 'kimi_k2', 'kimi_k2'],
    [{ template: '<|python_tag|>', family: 'llama3' as const }, 'llama3', 'none'],
    [{ template: '[TOOL_CALLS]' }, 'mistral', 'none'],
    [{ template: 'plain', family: 'harmony' as const }, 'gpt-oss', 'gpt-oss'],
    [{ template: 'plain', modelType: 'llama4' }, 'pythonic', 'none'],
    [{ template: 'plain', tokens: ['◁think▷'] }, 'none', 'kimi'],
  ])('%j → %s / %s', (s, tools, reasoning) => {
    expect(autoToolCallParser(signals(s)).name).toBe(tools);
    expect(autoReasoningParser(signals(s)).name).toBe(reasoning);
  });

  it('falls back to none on a model it does not know, and says why', () => {
    expect(autoToolCallParser(signals({ template: '{{ messages }}' }))).toEqual({
      name: 'none',
      reason: 'no known tool-call format in the template, model type or vocabulary',
    });
    expect(autoReasoningParser(signals({ template: '{{ messages }}' }))).toEqual({
      name: 'none',
      reason: 'no reasoning markers in the template or vocabulary',
    });
  });
});

describe('gpt-oss answers and the agent APIs', () => {
  it('the recorded content splits into reasoning and text losslessly, and goes back to the template as thinking', () => {
    const parser = outputParserFor('gpt-oss', 'gpt-oss');
    const tools = new ToolSet([{ type: 'function', function: { name: 'f' } }]);
    const { content, toolCalls } = parser.parse(
      '<|channel|>analysis<|message|>plan<|end|><|start|>assistant<|channel|>commentary to=functions.f <|constrain|>json<|message|>{}',
      tools,
    );
    expect(toolCalls).toHaveLength(1);
    const { reasoning, text } = splitLeadingThink(content);
    expect(joinLeadingThink(reasoning, text)).toBe(content);
    expect(harmonyHistory([{ role: 'assistant', content, tool_calls: [] }])).toEqual([
      { role: 'assistant', content: '', thinking: 'plan', tool_calls: [] },
    ]);
  });
});
