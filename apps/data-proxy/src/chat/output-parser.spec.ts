import { describe, expect, it } from '@jest/globals';
import { OutputParser, pythonJsonDumps, ToolSet, type ParsedOutput } from './output-parser.js';
import { outputParserFor } from './parsers/parser-registry.js';

const TOOLS = new ToolSet([
  { type: 'function', function: { name: 'get_weather' } },
  { type: 'function', function: { name: 'search' } },
]);
const CALL = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';
const QWEN = outputParserFor('qwen', 'qwen3');

describe('pythonJsonDumps', () => {
  it('writes JSON with Python separators and non-ASCII kept', () => {
    expect(pythonJsonDumps({ city: 'Zürich', n: 3, list: [1, 2.5, true, null], nested: { a: 'b' } })).toBe(
      '{"city": "Zürich", "n": 3, "list": [1, 2.5, true, null], "nested": {"a": "b"}}',
    );
  });
});

describe(`${OutputParser.name} (qwen / qwen3)`, () => {
  it('extracts calls to known tools and keeps the think block and leading text', () => {
    const parsed = QWEN.parse(`<think>need weather</think>I'll check.\n${CALL}`, TOOLS);
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
    const parsed = QWEN.parse(
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
      expect(QWEN.parse(text, TOOLS)).toEqual({ content: text, toolCalls: [] });
    }
  });

  it('ignores a tool call inside the think block', () => {
    const text = `<think>${CALL}</think>answer`;
    expect(QWEN.parse(text, TOOLS)).toEqual({ content: text, toolCalls: [] });
  });

  it('leaves the text as generated without tools, and parses nothing with --tool-call-parser none', () => {
    expect(QWEN.stream(null)).toBeNull();
    const none = outputParserFor('none', 'qwen3');
    expect(none.parsesToolCalls).toBe(false);
    expect(none.parse(`<think>a</think>${CALL}`, TOOLS)).toEqual({ content: `<think>a</think>${CALL}`, toolCalls: [] });
  });

  it('opens the content with <think> when the prompt opened the reasoning block', () => {
    expect(QWEN.parse('plan</think>answer', null, true).content).toBe('<think>plan</think>answer');
    expect(QWEN.parse('plan</think>answer', null, false).content).toBe('plan</think>answer');
  });

  function streamed(parser: OutputParser, text: string, pieceSizes: number[]): ParsedOutput {
    const stream = parser.stream(TOOLS)!;
    let content = '';
    const toolCalls: ParsedOutput['toolCalls'] = [];
    let at = 0;
    let i = 0;
    while (at < text.length) {
      const size = pieceSizes[i++ % pieceSizes.length];
      const step = stream.push(text.slice(at, at + size));
      at += size;
      content += step.content;
      toolCalls.push(...step.calls);
    }
    const last = stream.finish();
    return { content: content + last.content, toolCalls: [...toolCalls, ...last.calls] };
  }

  it.each([[[1]], [[2, 3]], [[7]], [[1000]]])('matches the non-streaming parse whatever the chunking (%j)', (sizes) => {
    for (const text of [
      `Let me look.\n${CALL}`,
      `<think>plan <tool_call> maybe</think>Sure.\n${CALL}`,
      'Just text with < and <tool but no call.',
      '<tool_call>\n{"name": "unknown", "arguments": {}}\n</tool_call>',
      `<think>only thinking</think>`,
    ]) {
      const whole = QWEN.parse(text, TOOLS);
      const pieces = streamed(QWEN, text, sizes);
      expect(pieces.content).toBe(whole.content);
      expect(pieces.toolCalls.map((c) => c.function)).toEqual(whole.toolCalls.map((c) => c.function));
    }
  });
});
