import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { json, ROUTED_TO_A, startGateway } from '../gateway.fixtures.js';
import { GatewayChatController } from './chat.controller.js';

describe(GatewayChatController.name, () => {
  const gateway = appForSuite(startGateway);
  const chat = (token: string | undefined, body: unknown = { messages: [{ role: 'user', content: 'hi' }] }) =>
    gateway().app.request('POST', '/v1/chat/completions', { body, token });
  const routerAnswers = (status: number, reply: object) =>
    gateway().router.intercept({ path: '/route', method: 'POST' }).reply(status, reply, json);

  describe('POST /v1/chat/completions', () => {
    it("routes by the session key and relays the data proxy's answer", async () => {
      gateway()
        .router.intercept({
          path: '/route',
          method: 'POST',
          body: (b) => (JSON.parse(b) as { api_key: string }).api_key === 'key-1',
        })
        .reply(200, ROUTED_TO_A, json);
      gateway()
        .proxyA.intercept({ path: '/chat/completions', method: 'POST' })
        .reply(200, { id: 'chatcmpl-1', object: 'chat.completion', choices: [] }, json);
      const res = await chat('key-1');
      expect([res.status, res.json.id]).toEqual([200, 'chatcmpl-1']);
    });

    it('answers 401 UNKNOWN_API_KEY for a key the router does not know', async () => {
      routerAnswers(404, { detail: 'Unknown API key', code: 'UNKNOWN_API_KEY' });
      const res = await chat('nobody', { messages: [] });
      expect([res.status, res.json.code]).toEqual([401, 'UNKNOWN_API_KEY']);
    });

    // Branching is on codes, not on the router's text.
    it("keeps a router 404 for another reason as a 404 with the router's code", async () => {
      routerAnswers(404, { detail: 'Unknown API key', code: 'MODEL_NOT_FOUND' });
      const res = await chat('key-2', { model: 'm', messages: [] });
      expect([res.status, res.json.code]).toEqual([404, 'MODEL_NOT_FOUND']);
    });

    it('refuses a call without a key with 401', async () => {
      expect((await chat(undefined, {})).status).toBe(401);
    });
  });

  describe('POST /rl/set_reward', () => {
    it("goes to the session's data proxy", async () => {
      routerAnswers(200, ROUTED_TO_A);
      gateway().proxyA.intercept({ path: '/rl/set_reward', method: 'POST' }).reply(200, { message: 'success' }, json);
      const reward = await gateway().app.request('POST', '/rl/set_reward', { body: { reward: 1 }, token: 'key-1' });
      expect([reward.status, reward.json.message]).toEqual([200, 'success']);
    });
  });
});
