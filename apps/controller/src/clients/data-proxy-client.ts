import { Injectable } from '@nestjs/common';
import { HttpClient } from '@app/common';
import type { SerializedTensorDto } from '@app/contracts';
import { StackService } from '../launcher/stack.service.js';

const SHARD_TIMEOUT_MS = 10_000;

/** The controller's direct calls to a data proxy (admin key): the exported tensor shards it holds. */
@Injectable()
export class DataProxyClient {
  constructor(
    private readonly http: HttpClient,
    private readonly stack: StackService,
  ) {}

  /** One exported tensor shard (`GET /data/{id}` on the data proxy that holds it), or null. */
  async shard(nodeAddr: string, shardId: string): Promise<Partial<SerializedTensorDto> | null> {
    const res = await this.http.requestJson<Partial<SerializedTensorDto>>({
      method: 'GET',
      url: `http://${nodeAddr}/data/${encodeURIComponent(shardId)}`,
      headers: this.stack.adminHeaders(),
      timeoutMs: SHARD_TIMEOUT_MS,
      upstreamName: 'data proxy',
    });
    return res.status === 200 ? (res.json ?? null) : null;
  }

  /** The float32 values of an exported RTensor shard (`{"data": {"shard": {"data": {shard_id, node_addr}}}}`). */
  async shardValues(reference: unknown): Promise<number[]> {
    const shard = (reference as { data?: { shard?: { data?: { shard_id?: unknown; node_addr?: unknown } } } })?.data
      ?.shard?.data;
    if (typeof shard?.shard_id !== 'string' || typeof shard.node_addr !== 'string') return [];
    const res = await this.shard(shard.node_addr, shard.shard_id);
    if (!res || res.dtype !== 'torch.float32' || typeof res.data !== 'string') return [];
    const bytes = Buffer.from(res.data, 'base64');
    return Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
  }
}
