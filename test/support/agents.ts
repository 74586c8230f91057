/**
 * The source of an AReaL-style agent module (`run(data, ctx)`) that sends one chat turn through
 * the stack with `request` (the body's fields beside the model), fails unless it gets a 200, and
 * rewards 1.
 */
export function oneChatTurnAgent(request: Record<string, unknown>): string {
  return `export async function run(data, ctx) {
  const res = await fetch(ctx.baseUrl + '/v1/chat/completions', {
    method: 'POST',
    headers: { authorization: 'Bearer ' + ctx.apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ model: ctx.model, ...${JSON.stringify(request)} }),
  });
  if (res.status !== 200) throw new Error('chat answered ' + res.status);
  return 1;
}
`;
}
