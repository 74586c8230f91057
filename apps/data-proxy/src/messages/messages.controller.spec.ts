import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { generated, startDataProxy } from '../data-proxy.fixtures.js';
import { DataProxyMessagesController } from './messages.controller.js';

describe(DataProxyMessagesController.name, () => {
  const proxy = appForSuite(startDataProxy);
  const hello = { model: 'm', max_tokens: 8, messages: [{ role: 'user', content: 'Hello' }] };
  const create = (body: unknown, headers: Record<string, string> = {}) =>
    proxy().app.request('POST', '/v1/messages', { body, headers });

  describe('POST /v1/messages', () => {
    it('answers an assistant message with the usage of the generated tokens', async () => {
      proxy().engineReplies('/generate', generated([9707, 0]));
      const { status, json } = await create(hello);
      expect(status).toBe(200);
      expect(json).toMatchObject({ type: 'message', role: 'assistant', usage: { output_tokens: 2 } });
    });

    it('takes the session key as x-api-key and records the turn under the message id', async () => {
      const started = await proxy().admin('POST', '/rl/start_session', { task_id: 'messages' });
      proxy().engineReplies('/generate', generated([9707, 0]));
      const res = await create(hello, { 'x-api-key': started.json.api_key as string });
      const session = await proxy().admin('GET', `/rl/sessions/${started.json.session_id as string}`);
      expect(session.json.interactions.map((i: { interaction_id: string }) => i.interaction_id)).toEqual([res.json.id]);
    });

    it('refuses a body without messages with 400', async () => {
      expect((await create({ model: 'm', max_tokens: 8 })).status).toBe(400);
    });
  });

  describe('POST /v1/messages/count_tokens', () => {
    it('counts the templated prompt’s tokens without calling the engine', async () => {
      const calls = proxy().engineCalls.length;
      const res = await proxy().app.request('POST', '/v1/messages/count_tokens', {
        body: { model: 'm', messages: [{ role: 'user', content: 'Hello' }] },
      });
      expect([res.status, res.json.input_tokens > 0, proxy().engineCalls.length]).toEqual([200, true, calls]);
    });

    it('refuses a body without messages with 400', async () => {
      const res = await proxy().app.request('POST', '/v1/messages/count_tokens', { body: { model: 'm' } });
      expect(res.status).toBe(400);
    });
  });
});
