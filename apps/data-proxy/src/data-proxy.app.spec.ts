import { describe, expect, it } from '@jest/globals';
import { BODYLESS_OPERATIONS, appForSuite, openApiGaps } from '@app/common/testing';
import { generated, startDataProxy } from './data-proxy.fixtures.js';

/** What holds for the data proxy app as a whole (each controller has its own spec beside it). */
describe('data proxy app', () => {
  const proxy = appForSuite(startDataProxy);

  it('documents every operation: response schemas, request schemas, error bodies', async () => {
    expect(openApiGaps((await proxy().app.request('GET', '/openapi.json')).json, BODYLESS_OPERATIONS)).toEqual([]);
  });

  // The chat controller's own spec comes with the agent-API work under way; until then, its
  // behaviours are checked here.
  describe('POST /v1/chat/completions', () => {
    const chat = async (messages: unknown[]) => {
      const key = (await proxy().admin('POST', '/rl/start_session', { task_id: 'chat' })).json.api_key as string;
      return proxy().app.request('POST', '/v1/chat/completions', { body: { messages, max_tokens: 8 }, token: key });
    };

    it('answers a chat.completion with the usage of the generated tokens', async () => {
      proxy().engineReplies('/generate', generated([9707, 0]));
      const res = await chat([{ role: 'user', content: 'Hello' }]);
      expect([res.status, res.json.object, res.json.usage]).toEqual([
        200,
        'chat.completion',
        expect.objectContaining({ completion_tokens: 2 }),
      ]);
    });

    it('asks the engine for log-probs', async () => {
      proxy().engineReplies('/generate', generated([9707, 0]));
      await chat([{ role: 'user', content: 'Hello' }]);
      expect(proxy().engineCalls.at(-1)!.body).toEqual(expect.objectContaining({ return_logprob: true }));
    });

    it('refuses an empty message list with 400', async () => {
      expect((await chat([])).status).toBe(400);
    });
  });
});
