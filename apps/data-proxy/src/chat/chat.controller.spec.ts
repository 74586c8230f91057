import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { generated, startDataProxy } from '../data-proxy.fixtures.js';
import { DataProxyChatController } from './chat.controller.js';

describe(DataProxyChatController.name, () => {
  const proxy = appForSuite(startDataProxy);
  const chat = async (messages: unknown[]) => {
    const key = (await proxy().admin('POST', '/rl/start_session', { task_id: 'chat' })).json.api_key as string;
    return proxy().app.request('POST', '/v1/chat/completions', { body: { messages, max_tokens: 8 }, token: key });
  };

  describe('POST /v1/chat/completions', () => {
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

    it('records the turn in the session', async () => {
      const { sessionId } = await proxy().oneTurnSession([9707, 0]);
      expect((await proxy().admin('GET', `/rl/sessions/${sessionId}`)).json.interactions).toHaveLength(1);
    });

    it('refuses an empty message list with 400', async () => {
      expect((await chat([])).status).toBe(400);
    });

    it('serves a key that holds no session, with nothing to record the turn in', async () => {
      proxy().engineReplies('/generate', generated([9707, 0]));
      const res = await proxy().app.request('POST', '/v1/chat/completions', {
        body: { messages: [{ role: 'user', content: 'Hello' }], max_tokens: 8 },
        token: 'nobody',
      });
      expect([res.status, res.json.object]).toEqual([200, 'chat.completion']);
    });
  });
});
