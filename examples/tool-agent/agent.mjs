// A multi-turn, tool-using agent: the model may call a `calculator` tool; the agent runs each
// call and sends the result back, until the model answers without a tool call (or after
// `max_turns`). When the answer holds no number it asks once more for one. It returns a reward
// per interaction, keyed by completion id: 0.1 for each turn whose tool calls all worked (a small
// shaping reward), and 1 or 0 on the final turn by exact match.
import OpenAI from 'openai';
import { finalNumber } from '../math-agent/agent.mjs';

/** The calculator tool in the chat API's shape (the Responses example sends the same one, flattened). */
export const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'calculator',
      description: 'Evaluate an arithmetic expression with + - * / and parentheses.',
      parameters: {
        type: 'object',
        properties: { expression: { type: 'string', description: 'for example "(3 + 4) * 2"' } },
        required: ['expression'],
      },
    },
  },
];

/** Evaluates + - * / and parentheses on numbers, nothing else (no eval). */
export function calculate(expression) {
  const tokens = String(expression).match(/\d+(?:\.\d+)?|[-+*/()]/g) ?? [];
  if (tokens.join('') !== String(expression).replace(/\s+/g, '')) throw new Error('unsupported expression');
  let at = 0;
  const peek = () => tokens[at];
  const primary = () => {
    const token = tokens[at++];
    if (token === '(') {
      const value = sum();
      if (tokens[at++] !== ')') throw new Error('missing )');
      return value;
    }
    if (token === '-') return -primary();
    const value = Number(token);
    if (!Number.isFinite(value)) throw new Error('expected a number');
    return value;
  };
  const product = () => {
    let value = primary();
    while (peek() === '*' || peek() === '/') value = tokens[at++] === '*' ? value * primary() : value / primary();
    return value;
  };
  const sum = () => {
    let value = product();
    while (peek() === '+' || peek() === '-') value = tokens[at++] === '+' ? value + product() : value - product();
    return value;
  };
  const value = sum();
  if (at !== tokens.length) throw new Error('unexpected input');
  return value;
}

export async function run(data, ctx) {
  const client = new OpenAI({ baseURL: ctx.baseUrl, apiKey: ctx.apiKey, maxRetries: 0 });
  const maxTurns = ctx.kwargs.max_turns ?? 4;
  const messages = [
    { role: 'system', content: 'Use the calculator tool for arithmetic, then give the final number.' },
    { role: 'user', content: data.question },
  ];
  const rewards = {};
  let askedForNumber = false;
  for (let turn = 0; turn < maxTurns; turn++) {
    const completion = await client.chat.completions.create(
      { model: ctx.model, messages, tools: TOOLS, max_completion_tokens: ctx.kwargs.max_tokens ?? 48 },
      { signal: ctx.signal },
    );
    const message = completion.choices[0].message;
    messages.push(message);
    if (message.tool_calls?.length) {
      let allWorked = true;
      for (const call of message.tool_calls) {
        let content;
        try {
          content = String(calculate(JSON.parse(call.function.arguments).expression));
        } catch (err) {
          allWorked = false;
          content = `error: ${err.message}`;
        }
        messages.push({ role: 'tool', tool_call_id: call.id, content });
      }
      rewards[completion.id] = allWorked ? 0.1 : 0;
      continue;
    }
    const answer = finalNumber(message.content);
    if (answer === null && !askedForNumber && turn + 1 < maxTurns) {
      askedForNumber = true;
      rewards[completion.id] = 0;
      messages.push({ role: 'user', content: 'Please reply with the final number only.' });
      continue;
    }
    rewards[completion.id] = answer === String(data.answer) ? 1 : 0;
    return rewards;
  }
  return rewards;
}
