// A tool-using agent on OpenAI's Responses API (the API of the OpenAI Agents SDK and Codex-style
// harnesses), stateful the Responses way: each turn sends only what is new and names the previous
// response with `previous_response_id`; the data proxy continues the conversation it recorded in
// this episode's session. The model may call a `calculator` tool; the agent runs each call and
// sends the result back until the model answers without a call (or after `max_turns`). Rewards
// are keyed by response id: 0.1 for a turn whose tool calls all worked, 1 or 0 for the final
// answer by exact match.
import OpenAI from 'openai';
import { finalNumber } from '../math-agent/agent.mjs';
import { calculate, TOOLS as CHAT_TOOLS } from '../tool-agent/agent.mjs';

// The Responses API declares a function tool flat: name, description and parameters beside its type.
const TOOLS = CHAT_TOOLS.map(({ function: tool }) => ({ type: 'function', ...tool, strict: false }));
const INSTRUCTIONS = 'Use the calculator tool for arithmetic, then give the final number.';

export async function run(data, ctx) {
  const client = new OpenAI({ baseURL: ctx.baseUrl, apiKey: ctx.apiKey, maxRetries: 0 });
  const maxTurns = ctx.kwargs.max_turns ?? 4;
  const rewards = {};
  let input = data.question;
  let previous;
  for (let turn = 0; turn < maxTurns; turn++) {
    const response = await client.responses.create(
      {
        model: ctx.model,
        instructions: INSTRUCTIONS,
        input,
        previous_response_id: previous,
        tools: TOOLS,
        max_output_tokens: ctx.kwargs.max_tokens ?? 48,
      },
      { signal: ctx.signal },
    );
    previous = response.id;
    const calls = response.output.filter((item) => item.type === 'function_call');
    if (calls.length === 0) {
      rewards[response.id] = finalNumber(response.output_text) === String(data.answer) ? 1 : 0;
      return rewards;
    }
    let allWorked = true;
    input = calls.map((call) => {
      let output;
      try {
        output = String(calculate(JSON.parse(call.arguments).expression));
      } catch (err) {
        allWorked = false;
        output = `error: ${err.message}`;
      }
      return { type: 'function_call_output', call_id: call.call_id, output };
    });
    rewards[response.id] = allWorked ? 0.1 : 0;
  }
  return rewards;
}
