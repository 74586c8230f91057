import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { agentAnswer, speakerFor } from './family-speakers.js';

/** The data proxy's golden prompts (rendered by Python's jinja2 from each family's template). */
const prompt = (family: string, name: string) =>
  readFileSync(
    new URL(`../../../../data-proxy/src/tokenization/golden/${family}/${name}.txt`, import.meta.url),
    'utf8',
  );

describe('agentAnswer', () => {
  it('Qwen: thinks, then calls the first offered tool with the question; answers a tool response', () => {
    const speaker = speakerFor('chatml')!;
    expect(agentAnswer(speaker, prompt('.', 'tools-no-system'))).toEqual({
      text: '<think>\nThe user asks: Weather in Oslo?\n</think>\n\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Weather in Oslo?"}}\n</tool_call>',
      end: '<|im_end|>',
    });
    expect(agentAnswer(speaker, prompt('.', 'tools-round-trip'))).toEqual({
      text: '<think>\nThe tool answered.\n</think>\n\nThe tool says: sunny, 21 C',
      end: '<|im_end|>',
    });
  });

  it('Llama 3.1: a <|python_tag|> JSON call ended by <|eom_id|>; a final answer after an ipython result', () => {
    const speaker = speakerFor('llama3')!;
    expect(agentAnswer(speaker, prompt('llama3.1', 'tools-first-turn'))).toEqual({
      text: '<|python_tag|>{"name": "get_weather", "parameters": {"city": "Weather in Paris?"}}',
      end: '<|eom_id|>',
    });
    expect(agentAnswer(speaker, prompt('llama3.1', 'tools-round-trip'))).toEqual({
      text: 'The tool says: sunny, 21 C',
      end: '<|eot_id|>',
    });
    expect(agentAnswer(speaker, prompt('llama3.1', 'single-turn'))).toBeNull();
  });

  it("DeepSeek V3: DeepSeek's call tokens; a final answer after the tool outputs", () => {
    const speaker = speakerFor('deepseek')!;
    expect(agentAnswer(speaker, prompt('deepseek-v3-tools', 'tools-first-turn'))).toEqual({
      text: '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{"city": "Weather in Paris?"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>',
      end: '<｜end▁of▁sentence｜>',
    });
    expect(agentAnswer(speaker, prompt('deepseek-v3-tools', 'tools-round-trip'))?.text).toBe('The tool says: 14:05');
  });

  it('gpt-oss: analysis, then a commentary call ended by <|call|>; analysis and a final answer after a result', () => {
    const speaker = speakerFor('harmony')!;
    expect(agentAnswer(speaker, prompt('gpt-oss', 'tools-first-turn'))).toEqual({
      text: '<|channel|>analysis<|message|>The user asks: What is the weather like in SF?<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{"location": "What is the weather like in SF?"}',
      end: '<|call|>',
    });
    expect(agentAnswer(speaker, prompt('gpt-oss', 'tools-round-trip-keeps-analysis'))).toEqual({
      text: '<|channel|>analysis<|message|>The tool answered.<|end|><|start|>assistant<|channel|>final<|message|>The tool says: {"sunny": true, "temperature": 20}',
      end: '<|return|>',
    });
    // The answer so far after the generation prompt is not the last turn (a resubmission reads the same).
    const resubmitted = `${prompt('gpt-oss', 'tools-first-turn')}<|channel|>analysis<|message|>The user asks<|end|>`;
    expect(agentAnswer(speaker, resubmitted)?.end).toBe('<|call|>');
  });
});
