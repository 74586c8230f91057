// A one-turn math agent: asks the model an arithmetic question through the gateway with the
// official OpenAI SDK and scores the answer by exact match. The controller runs it for every
// dataset item: `run(data, ctx)` gets the item and the episode's gateway URL, session key and
// abort signal, and returns the reward.
import OpenAI from 'openai';

/** The last number in a text ("… so the answer is 19." → "19"), or null. */
export function finalNumber(text) {
  const numbers = String(text ?? '').match(/-?\d+(?:\.\d+)?/g);
  return numbers ? numbers[numbers.length - 1] : null;
}

export async function run(data, ctx) {
  const client = new OpenAI({ baseURL: ctx.baseUrl, apiKey: ctx.apiKey, maxRetries: 0 });
  const completion = await client.chat.completions.create(
    {
      model: ctx.model,
      messages: [{ role: 'user', content: `${data.question} Answer with the number only.` }],
      max_completion_tokens: ctx.kwargs.max_tokens ?? 32,
      temperature: ctx.kwargs.temperature ?? 1.0,
    },
    { signal: ctx.signal },
  );
  return finalNumber(completion.choices[0].message.content) === String(data.answer) ? 1 : 0;
}
