// A multi-turn tool agent on Anthropic's Messages API with the official `@anthropic-ai/sdk`, the
// way Claude-style harnesses run: the whole conversation is sent every turn (assistant content
// blocks as they came back, tool results as `tool_result` blocks), the key as `x-api-key`. The
// model may call a `calculator` tool (`stop_reason: "tool_use"`); the agent runs each call and
// answers until the model ends its turn (or after `max_turns`). Rewards are keyed by message id:
// 0.1 for a turn whose tool calls all worked, 1 or 0 for the final answer by exact match.
import Anthropic from '@anthropic-ai/sdk';
import { finalNumber } from '../math-agent/agent.mjs';
import { calculate } from '../tool-agent/agent.mjs';

const TOOLS = [
  {
    name: 'calculator',
    description: 'Evaluate an arithmetic expression with + - * / and parentheses.',
    input_schema: {
      type: 'object',
      properties: { expression: { type: 'string', description: 'for example "(3 + 4) * 2"' } },
      required: ['expression'],
    },
  },
];
const SYSTEM = 'Use the calculator tool for arithmetic, then give the final number.';

export async function run(data, ctx) {
  const client = new Anthropic({ baseURL: ctx.baseUrl, apiKey: ctx.apiKey, maxRetries: 0 });
  const maxTurns = ctx.kwargs.max_turns ?? 4;
  const messages = [{ role: 'user', content: data.question }];
  const rewards = {};
  for (let turn = 0; turn < maxTurns; turn++) {
    const message = await client.messages.create(
      { model: ctx.model, system: SYSTEM, messages, tools: TOOLS, max_tokens: ctx.kwargs.max_tokens ?? 48 },
      { signal: ctx.signal },
    );
    messages.push({ role: 'assistant', content: message.content });
    const calls = message.content.filter((block) => block.type === 'tool_use');
    if (message.stop_reason !== 'tool_use' || calls.length === 0) {
      const text = message.content
        .filter((block) => block.type === 'text')
        .map((block) => block.text)
        .join('');
      rewards[message.id] = finalNumber(text) === String(data.answer) ? 1 : 0;
      return rewards;
    }
    let allWorked = true;
    const results = calls.map((call) => {
      try {
        return { type: 'tool_result', tool_use_id: call.id, content: String(calculate(call.input.expression)) };
      } catch (err) {
        allWorked = false;
        return { type: 'tool_result', tool_use_id: call.id, content: `error: ${err.message}`, is_error: true };
      }
    });
    messages.push({ role: 'user', content: results });
    rewards[message.id] = allWorked ? 0.1 : 0;
  }
  return rewards;
}
