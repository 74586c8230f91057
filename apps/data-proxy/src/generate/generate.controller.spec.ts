import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { generated, startDataProxy } from '../data-proxy.fixtures.js';
import { DataProxyGenerateController } from './generate.controller.js';

describe(DataProxyGenerateController.name, () => {
  const proxy = appForSuite(startDataProxy);
  const generate = (body: unknown, method: 'POST' | 'PUT' = 'POST', token?: string) =>
    proxy().app.request(method, '/generate', { body, token });
  const ids = { input_ids: [1, 2, 3], sampling_params: { max_new_tokens: 8 } };

  describe('POST /generate', () => {
    it('answers the output ids with SGLang’s meta_info', async () => {
      proxy().engineReplies('/generate', generated([9707, 0]));
      const res = await generate(ids);
      expect([res.status, res.json.output_ids, res.json.meta_info.completion_tokens]).toEqual([200, [9707, 0], 2]);
    });

    it('answers a batch of prompts with a list, one output each', async () => {
      proxy().engineReplies('/generate', generated([9707, 0]), 2);
      const res = await generate({ input_ids: [[1, 2], [3]], sampling_params: { max_new_tokens: 8 } });
      expect([res.status, Array.isArray(res.json) && res.json.length]).toEqual([200, 2]);
    });

    it('records the answer in the caller’s session', async () => {
      const started = await proxy().admin('POST', '/rl/start_session', { task_id: 'generate' });
      proxy().engineReplies('/generate', generated([9707, 0]));
      await generate(ids, 'POST', started.json.api_key as string);
      const session = await proxy().admin('GET', `/rl/sessions/${started.json.session_id as string}`);
      expect(session.json.interactions).toHaveLength(1);
    });

    it('refuses a body with neither input_ids nor text with 400', async () => {
      expect((await generate({ sampling_params: { max_new_tokens: 8 } })).status).toBe(400);
    });

    it('refuses a streamed request inside its 200 stream, as SGLang does: one error event, then [DONE]', async () => {
      const res = await generate({ stream: true, sampling_params: { max_new_tokens: 8 } });
      expect([res.status, res.text.includes('"error"'), res.text.trimEnd().endsWith('data: [DONE]')]).toEqual([
        200,
        true,
        true,
      ]);
    });
  });

  describe('PUT /generate', () => {
    it('serves like POST', async () => {
      proxy().engineReplies('/generate', generated([9707, 0]));
      const res = await generate(ids, 'PUT');
      expect([res.status, res.json.output_ids]).toEqual([200, [9707, 0]]);
    });
  });
});
