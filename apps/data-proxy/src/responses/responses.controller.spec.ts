import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { generated, startDataProxy } from '../data-proxy.fixtures.js';
import { DataProxyResponsesController } from './responses.controller.js';

describe(DataProxyResponsesController.name, () => {
  const proxy = appForSuite(startDataProxy);
  const create = (body: unknown, token?: string) => proxy().app.request('POST', '/v1/responses', { body, token });
  const sessionKey = async () =>
    (await proxy().admin('POST', '/rl/start_session', { task_id: 'responses' })).json.api_key as string;

  describe('POST /v1/responses', () => {
    it('answers a completed response with the usage of the generated tokens', async () => {
      proxy().engineReplies('/generate', generated([9707, 0]));
      const res = await create({ input: 'Hello', max_output_tokens: 8 });
      expect([res.status, res.json.object, res.json.status, res.json.usage]).toEqual([
        200,
        'response',
        'completed',
        expect.objectContaining({ output_tokens: 2 }),
      ]);
    });

    it('continues a response recorded in the caller’s session by previous_response_id', async () => {
      const key = await sessionKey();
      proxy().engineReplies('/generate', generated([9707, 0]), 2);
      const first = await create({ input: 'Hello', max_output_tokens: 8 }, key);
      const second = await create({ input: 'Again', previous_response_id: first.json.id, max_output_tokens: 8 }, key);
      expect([second.status, second.json.previous_response_id]).toEqual([200, first.json.id]);
    });

    it('answers 404 for a previous_response_id that is not in the caller’s session', async () => {
      const res = await create({ input: 'Hello', previous_response_id: 'resp_unknown' }, await sessionKey());
      expect([res.status, res.json.error?.param]).toEqual([404, 'previous_response_id']);
    });

    it('answers 404 for an item_reference to an item that was never recorded', async () => {
      const res = await create({ input: [{ type: 'item_reference', id: 'msg_unknown' }] }, await sessionKey());
      expect(res.status).toBe(404);
    });

    it('refuses a body without input with 400', async () => {
      expect((await create({ max_output_tokens: 8 })).status).toBe(400);
    });
  });
});
