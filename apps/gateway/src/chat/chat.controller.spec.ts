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

  describe('POST /generate', () => {
    it("routes by the session key to the data proxy's /generate with the original bytes", async () => {
      routerAnswers(200, ROUTED_TO_A);
      let forwarded: unknown;
      gateway()
        .proxyA.intercept({ path: '/generate', method: 'POST' })
        .reply((options) => {
          forwarded = options.body;
          return { statusCode: 200, data: { text: 'hi', output_ids: [1], meta_info: {} }, responseOptions: json };
        });
      const body = '{"input_ids": [1, 2, 3], "sampling_params": {"max_new_tokens": 4}}';
      const res = await gateway().app.request('POST', '/generate', { body, token: 'key-1' });
      expect([res.status, res.json.output_ids, String(forwarded)]).toEqual([200, [1], body]);
    });

    it('asks the router with the /generate path', async () => {
      gateway()
        .router.intercept({
          path: '/route',
          method: 'POST',
          body: (b) => (JSON.parse(b) as { path: string }).path === '/generate',
        })
        .reply(200, ROUTED_TO_A, json);
      gateway().proxyA.intercept({ path: '/generate', method: 'POST' }).reply(200, { output_ids: [] }, json);
      const res = await gateway().app.request('POST', '/generate', { body: { input_ids: [1] }, token: 'key-1' });
      expect(res.status).toBe(200);
    });

    it('refuses a call without a key with 401', async () => {
      expect((await gateway().app.request('POST', '/generate', { body: { input_ids: [1] } })).status).toBe(401);
    });
  });

  describe('PUT /generate', () => {
    // The data proxy serves both verbs alike; the gateway forwards every turn by POST.
    it("forwards to the data proxy's /generate", async () => {
      routerAnswers(200, ROUTED_TO_A);
      gateway()
        .proxyA.intercept({ path: '/generate', method: 'POST' })
        .reply(200, { output_ids: [7] }, json);
      const res = await gateway().app.request('PUT', '/generate', { body: { input_ids: [1] }, token: 'key-1' });
      expect([res.status, res.json.output_ids]).toEqual([200, [7]]);
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
