import { Injectable } from '@nestjs/common';
import type { ExportedTrajectoryDto, WaitTrajectoriesRequestDto, WaitTrajectoriesResponseDto } from '@app/contracts';
import { GatewayClient } from '../clients/gateway-client.js';
import { ReadyQueueService } from './ready-queue.service.js';

/**
 * Hands ready trajectories to a waiting trainer: takes them from the ready queue, exports each
 * through the gateway (in parallel; a failed export is delivered as `ok: false` with its status,
 * never dropped), and marks them delivered. A trainer that leaves while waiting takes nothing.
 */
@Injectable()
export class TrajectoryDeliveryService {
  constructor(
    private readonly gateway: GatewayClient,
    private readonly ready: ReadyQueueService,
  ) {}

  async wait(request: WaitTrajectoriesRequestDto, clientLeft: AbortSignal): Promise<WaitTrajectoriesResponseDto> {
    const count = request.count ?? 1;
    const refs = await this.ready.take(count, (request.timeout_s ?? 30) * 1000, clientLeft);
    if (clientLeft.aborted) {
      // Nobody to hand them to: keep them for the next waiter instead of exporting them into the void.
      this.ready.giveBack(refs);
      return { trajectories: [], timed_out: false };
    }
    const trajectories = await Promise.all(
      refs.map(async (ref): Promise<ExportedTrajectoryDto> => {
        const res = await this.gateway
          .exportTrajectories({
            session_id: ref.session_id,
            trajectory_id: ref.trajectory_id,
            ...(request.discount !== undefined ? { discount: request.discount } : {}),
            ...(request.style !== undefined ? { style: request.style } : {}),
            format: request.format ?? 'json',
            ...(request.schema !== undefined ? { schema: request.schema } : {}),
            remove_session: false,
          })
          .catch((err: unknown) => ({ status: 0, json: undefined, text: String(err) }));
        return res.status === 200
          ? { ...ref, ok: true, ...res.json }
          : { ...ref, ok: false, status: res.status, error: res.text.slice(0, 500) };
      }),
    );
    this.ready.delivered(refs);
    return { trajectories, timed_out: refs.length < count };
  }
}
