import { describe, expect, it } from '@jest/globals';
import { appForSuite } from '@app/common/testing';
import { startDataProxy, type TestDataProxy } from '../data-proxy.fixtures.js';
import { DataController } from './data.controller.js';

/** Tensor shards, in the shapes the AReaL trainer's RTensor client reads. */
describe(DataController.name, () => {
  const proxy = appForSuite(startDataProxy);
  const admin: TestDataProxy['admin'] = (...args) => proxy().admin(...args);
  const tensor = {
    type: 'tensor',
    data: Buffer.from(new Int32Array([1, 2]).buffer).toString('base64'),
    shape: [2],
    dtype: 'torch.int32',
  };

  describe('PUT /data/:shard_id', () => {
    it('stores a shard under its id', async () => {
      expect((await admin('PUT', '/data/stored', tensor)).json).toEqual({ status: 'ok', shard_id: 'stored' });
    });
  });

  describe('GET /data/:shard_id', () => {
    it('answers the stored tensor', async () => {
      await admin('PUT', '/data/fetched', tensor);
      expect(JSON.parse((await admin('GET', '/data/fetched')).text)).toEqual(
        expect.objectContaining({ shape: [2], dtype: 'torch.int32' }),
      );
    });
  });

  describe('POST /data/batch', () => {
    it('answers the shards in request order', async () => {
      await admin('PUT', '/data/batched', tensor);
      expect(JSON.parse((await admin('POST', '/data/batch', { shard_ids: ['batched'] })).text)).toHaveLength(1);
    });

    it("answers 400 in the reference's error shape for an unknown shard", async () => {
      const missing = await admin('POST', '/data/batch', { shard_ids: ['nobody'] });
      expect([missing.status, missing.json.status]).toEqual([400, 'error']);
    });
  });

  describe('DELETE /data/clear', () => {
    it('clears the shards and counts them', async () => {
      await admin('PUT', '/data/cleared', tensor);
      expect((await admin('DELETE', '/data/clear', { shard_ids: ['cleared'] })).json).toEqual(
        expect.objectContaining({ status: 'ok', cleared_count: 1 }),
      );
    });
  });
});
