import { describe, expect, it } from '@jest/globals';
import { parseToolCalls, pythonJsonDumps, splitReasoning, StreamingToolCallParser } from './output-parser.js';

const TOOLS = new Set(['get_weather', 'search']);
const CALL = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';

describe('splitReasoning', () => {
  it.each([
    ['plain', { reasoning: '', content: 'plain' }],
    ['<think>a</think>b', { reasoning: '<think>a</think>', content: 'b' }],
    ['<think>unfinished', { reasoning: '<think>unfinished', content: '' }],
    ['x<think>a</think>b', { reasoning: '<think>xa</think>', content: 'b' }],
  ])('%j', (text, expected) => {
    expect(splitReasoning(text)).toEqual(expected);
  });
});

describe('pythonJsonDumps', () => {
  it('writes JSON with Python separators and non-ASCII kept', () => {
    expect(pythonJsonDumps({ city: 'Zürich', n: 3, list: [1, 2.5, true, null], nested: { a: 'b' } })).toBe(
      '{"city": "Zürich", "n": 3, "list": [1, 2.5, true, null], "nested": {"a": "b"}}',
    );
  });
});

describe('parseToolCalls', () => {
  it('extracts calls to known tools and keeps the think block and leading text', () => {
    const parsed = parseToolCalls(`<think>need weather</think>I'll check.\n${CALL}`, TOOLS);
    expect(parsed.content).toBe("<think>need weather</think>I'll check.");
    expect(parsed.toolCalls).toEqual([
      {
        id: expect.stringMatching(/^call_[0-9a-f]{24}$/),
        type: 'function',
        function: { name: 'get_weather', arguments: '{"city": "Paris"}' },
      },
    ]);
  });

  it('reads several calls and "parameters" as arguments', () => {
    const parsed = parseToolCalls(
      `${CALL}\n<tool_call>\n{"name": "search", "parameters": {"q": "x"}}\n</tool_call>`,
      TOOLS,
    );
    expect(parsed.toolCalls.map((c) => c.function)).toEqual([
      { name: 'get_weather', arguments: '{"city": "Paris"}' },
      { name: 'search', arguments: '{"q": "x"}' },
    ]);
    expect(parsed.content).toBe('');
  });

  it('returns the text untouched when no call is valid', () => {
    for (const text of [
      '<tool_call>\n{"name": "unknown", "arguments": {}}\n</tool_call>',
      '<tool_call>\nnot json\n</tool_call>',
      'no calls here',
    ]) {
      expect(parseToolCalls(text, TOOLS)).toEqual({ content: text, toolCalls: [] });
    }
  });

  it('ignores a tool call inside the think block', () => {
    const text = `<think>${CALL}</think>answer`;
    expect(parseToolCalls(text, TOOLS).toolCalls).toEqual([]);
  });
});

describe(StreamingToolCallParser.name, () => {
  function runStream(text: string, pieceSizes: number[]): { content: string; calls: string[] } {
    const parser = new StreamingToolCallParser(TOOLS);
    let content = '';
    const calls: string[] = [];
    let at = 0;
    let i = 0;
    while (at < text.length) {
      const size = pieceSizes[i++ % pieceSizes.length];
      const out = parser.push(text.slice(at, at + size));
      at += size;
      content += out.content;
      calls.push(...out.calls.map((c) => `${c.function.name}:${c.function.arguments}`));
    }
    content += parser.finish().content;
    return { content, calls };
  }

  it.each([[[1]], [[2, 3]], [[7]], [[1000]]])('matches the non-streaming parse whatever the chunking (%j)', (sizes) => {
    for (const text of [
      `Let me look.\n${CALL}`,
      `<think>plan <tool_call> maybe</think>Sure.\n${CALL}`,
      'Just text with < and <tool but no call.',
      '<tool_call>\n{"name": "unknown", "arguments": {}}\n</tool_call>',
      `<think>only thinking</think>`,
    ]) {
      const streamed = runStream(text, sizes);
      const whole = parseToolCalls(text, TOOLS);
      expect(streamed.content).toBe(whole.content);
      expect(streamed.calls).toEqual(whole.toolCalls.map((c) => `${c.function.name}:${c.function.arguments}`));
    }
  });
});
