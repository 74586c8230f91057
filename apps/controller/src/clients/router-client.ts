import { Injectable } from '@nestjs/common';
import { HttpClient, type JsonResponse } from '@app/common';
import type { CapacityResponseDto, CapacityStatusResponseDto } from '@app/contracts';
import { StackService } from '../launcher/stack.service.js';

/** The router's answers are local bookkeeping: a slow one is a broken router. */
const ROUTER_TIMEOUT_MS = 5_000;

/** The controller's calls to the router (admin key), typed with the router's contracts. */
@Injectable()
export class RouterClient {
  constructor(
    private readonly http: HttpClient,
    private readonly stack: StackService,
  ) {}

  /** Permits available now, and whether session starts take them. */
  capacity(): Promise<JsonResponse<CapacityStatusResponseDto>> {
    return this.call('GET', '/capacity');
  }

  /** Gives back a permit granted for a session that never started. */
  releaseCapacity(): Promise<JsonResponse<CapacityResponseDto>> {
    return this.call('POST', '/release_capacity');
  }

  private call<T>(method: 'GET' | 'POST', path: string): Promise<JsonResponse<T>> {
    return this.http.requestJson<T>({
      method,
      url: `${this.stack.routerAddr}${path}`,
      headers: this.stack.adminHeaders(),
      timeoutMs: ROUTER_TIMEOUT_MS,
      upstreamName: 'router',
    });
  }
}
