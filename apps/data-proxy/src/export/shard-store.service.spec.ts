import { describe, expect, it } from '@jest/globals';
import { MetricsService, parseOptions } from '@app/common';
import { DATA_PROXY_OPTIONS } from '../config/data-proxy-options.js';
import { int64Tensor } from './rpc-encoding.js';
import { ShardStore } from './shard-store.service.js';

function store(budget: number): ShardStore {
  const { options } = parseOptions(DATA_PROXY_OPTIONS, ['--shard-store-bytes', String(budget)], {});
  return new ShardStore(options, new MetricsService({ name: 'data-proxy', version: 'test' }));
}

describe(ShardStore.name, () => {
  it('keeps shards by id and forgets deleted ones', () => {
    const shards = store(1 << 20);
    const id = shards.put(int64Tensor([1, 2], [1, 2]));
    expect(shards.get(id)?.shape).toEqual([1, 2]);
    expect(shards.bytes).toBe(16);
    expect(shards.delete(id)).toBe(true);
    expect(shards.delete(id)).toBe(false);
    expect(shards.bytes).toBe(0);
  });

  it('evicts the oldest shards beyond the byte budget', () => {
    const shards = store(2048);
    const ids = Array.from({ length: 5 }, () => shards.put(int64Tensor(new Array<number>(64).fill(1), [1, 64])));
    expect(shards.bytes).toBeLessThanOrEqual(2048);
    expect(shards.get(ids[0])).toBeUndefined();
    expect(shards.get(ids[4])).toBeDefined();
  });
});
