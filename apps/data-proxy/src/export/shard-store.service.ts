import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { APP_OPTIONS, MetricsService } from '@app/common';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import type { HostTensor } from './rpc-encoding.js';

/**
 * Tensor shards of exported trajectories, held until the trainer fetches them (`/data/*`).
 * Bounded by `--shard-store-bytes`: when full, the oldest shards are evicted (counted in
 * `/metrics`), so an absent trainer cannot grow the process without limit.
 */
@Injectable()
export class ShardStore {
  private readonly shards = new Map<string, HostTensor>();
  private totalBytes = 0;
  private readonly evictions: Counter;

  constructor(
    @Inject(APP_OPTIONS) private readonly options: DataProxyOptions,
    metrics: MetricsService,
  ) {
    this.evictions = metrics.counter(
      'data_proxy_shards_evicted_total',
      'Tensor shards evicted to stay within --shard-store-bytes',
    );
    metrics.gauge('data_proxy_shard_store_bytes', 'Bytes held in the tensor shard store', () => this.totalBytes);
    metrics.gauge('data_proxy_shards', 'Tensor shards held', () => this.shards.size);
  }

  get count(): number {
    return this.shards.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Stores a tensor under a new id (or the given one, replacing it). */
  put(tensor: HostTensor, id: string = randomUUID()): string {
    this.delete(id);
    this.shards.set(id, tensor);
    this.totalBytes += tensor.bytes.length;
    const budget = this.options['shard-store-bytes'];
    while (this.totalBytes > budget && this.shards.size > 1) {
      const oldest = this.shards.keys().next().value as string;
      if (oldest === id) break;
      this.delete(oldest);
      this.evictions.inc();
    }
    return id;
  }

  get(id: string): HostTensor | undefined {
    return this.shards.get(id);
  }

  delete(id: string): boolean {
    const tensor = this.shards.get(id);
    if (!tensor) return false;
    this.shards.delete(id);
    this.totalBytes -= tensor.bytes.length;
    return true;
  }
}
