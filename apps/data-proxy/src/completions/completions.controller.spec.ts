import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { generated, startDataProxy } from '../data-proxy.fixtures.js';
import { DataProxyCompletionsController } from './completions.controller.js';

describe(DataProxyCompletionsController.name, () => {
  const proxy = appForSuite(startDataProxy);
  const complete = (body: unknown, token?: string) => proxy().app.request('POST', '/v1/completions', { body, token });

  describe('POST /v1/completions', () => {
    it('answers a text_completion with the usage of the generated tokens', async () => {
      proxy().engineReplies('/generate', generated([9707, 0]));
      const res = await complete({ prompt: 'Once upon a time', max_tokens: 8 });
      expect([res.status, res.json.object, res.json.usage]).toEqual([
        200,
        'text_completion',
        expect.objectContaining({ completion_tokens: 2 }),
      ]);
    });

    it('sends token-id prompts to the engine as they are, never templated', async () => {
      proxy().engineReplies('/generate', generated([9707, 0]));
      await complete({ prompt: [1, 2, 3], max_tokens: 8 });
      expect(proxy().engineCalls.at(-1)!.body).toEqual(expect.objectContaining({ input_ids: [1, 2, 3] }));
    });

    it('records the turn in the caller’s session', async () => {
      const started = await proxy().admin('POST', '/rl/start_session', { task_id: 'completions' });
      proxy().engineReplies('/generate', generated([9707, 0]));
      await complete({ prompt: 'Hello', max_tokens: 8 }, started.json.api_key as string);
      const session = await proxy().admin('GET', `/rl/sessions/${started.json.session_id as string}`);
      expect(session.json.interactions).toHaveLength(1);
    });

    it('refuses a body without a prompt with 400', async () => {
      expect((await complete({ max_tokens: 8 })).status).toBe(400);
    });

    it('refuses a token id outside the vocabulary with 400', async () => {
      expect((await complete({ prompt: [10_000_000], max_tokens: 8 })).status).toBe(400);
    });
  });
});
