import { Injectable } from '@nestjs/common';
import type { JsonResponse } from '@app/common';
import type {
  ExportTrajectoriesRequestDto,
  ExportTrajectoriesResponseDto,
  GrantCapacityResponseDto,
  SetRewardRequestDto,
  SetRewardResponseDto,
  StartSessionRequestDto,
  StartSessionResponseDto,
} from '@app/contracts';
import { ControlService } from '../control/control.service.js';

/**
 * The calls an episode makes, typed with the contracts of the services that answer them: the
 * gateway's session, reward and export endpoints (admin key, or the member's session key for its
 * reward), and the router's permit release. Answers come back with their status: what a failure
 * means is the episode's business.
 */
@Injectable()
export class EpisodeGatewayClient {
  constructor(private readonly control: ControlService) {}

  /** Where agents reach the gateway. */
  get baseUrl(): string {
    return this.control.gatewayUrl;
  }

  /** One router permit for a session about to start. */
  grantCapacity(signal?: AbortSignal): Promise<JsonResponse<GrantCapacityResponseDto>> {
    return this.control.gatewayCall<GrantCapacityResponseDto>({ method: 'POST', path: '/grant_capacity', signal });
  }

  /** Gives back a permit granted for a session that never started. */
  async releaseCapacity(): Promise<void> {
    await this.control.router('POST', '/release_capacity');
  }

  startSession(body: StartSessionRequestDto, signal?: AbortSignal): Promise<JsonResponse<StartSessionResponseDto>> {
    return this.control.gatewayCall<StartSessionResponseDto>({
      method: 'POST',
      path: '/rl/start_session',
      json: body,
      signal,
    });
  }

  /** A reward, sent with the member's own session key (as its agent would). */
  setReward(
    sessionKey: string,
    body: SetRewardRequestDto,
    options: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<JsonResponse<SetRewardResponseDto>> {
    return this.control.gatewayCall<SetRewardResponseDto>({
      method: 'POST',
      path: '/rl/set_reward',
      sessionKey,
      json: body,
      ...options,
    });
  }

  exportTrajectories(
    body: ExportTrajectoriesRequestDto,
    timeoutMs?: number,
  ): Promise<JsonResponse<ExportTrajectoriesResponseDto>> {
    return this.control.gatewayCall<ExportTrajectoriesResponseDto>({
      method: 'POST',
      path: '/export_trajectories',
      json: body,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
  }

  /** The float32 values of an exported RTensor shard (`{"data": {"shard": {"data": {shard_id, node_addr}}}}`). */
  async shardValues(reference: unknown): Promise<number[]> {
    const shard = (reference as { data?: { shard?: { data?: { shard_id?: unknown; node_addr?: unknown } } } })?.data
      ?.shard?.data;
    if (typeof shard?.shard_id !== 'string' || typeof shard.node_addr !== 'string') return [];
    const res = await this.control.fetchShard(shard.node_addr, shard.shard_id);
    if (!res || res.dtype !== 'torch.float32' || typeof res.data !== 'string') return [];
    const bytes = Buffer.from(res.data, 'base64');
    return Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
  }
}
