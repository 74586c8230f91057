// A raw-text agent on the legacy `/v1/completions` API, as older RL code drives a base model: a
// few-shot prompt is completed as it is (no chat template), stopping at the end of the line. If
// the answer holds no number, it asks again by appending to its own transcript: the second prompt
// starts with the first prompt and answer, so the data proxy records the second turn as the first
// one's continuation. Returns the reward for the last turn (1 or 0 by exact match).
import OpenAI from 'openai';
import { finalNumber } from '../math-agent/agent.mjs';

const SHOTS = 'Q: What is 2 + 3?\nA: 5\nQ: What is 7 * 6?\nA: 42\n';

export async function run(data, ctx) {
  const client = new OpenAI({ baseURL: ctx.baseUrl, apiKey: ctx.apiKey, maxRetries: 0 });
  let prompt = `${SHOTS}Q: ${data.question}\nA:`;
  for (let attempt = 0; attempt < 2; attempt++) {
    const completion = await client.completions.create(
      { model: ctx.model, prompt, max_tokens: ctx.kwargs.max_tokens ?? 16, stop: ['\n'] },
      { signal: ctx.signal },
    );
    const answer = finalNumber(completion.choices[0].text);
    if (answer !== null || attempt === 1) return answer === String(data.answer) ? 1 : 0;
    prompt += `${completion.choices[0].text}\nQ: Please give the number only.\nA:`;
  }
  return 0;
}
