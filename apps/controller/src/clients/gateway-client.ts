import { Inject, Injectable } from '@nestjs/common';
import { APP_OPTIONS, HttpClient, type JsonResponse } from '@app/common';
import type {
  ExportTrajectoriesRequestDto,
  ExportTrajectoriesResponseDto,
  GrantCapacityResponseDto,
  RegisterModelRequestDto,
  RegisterModelResponseDto,
  SetRewardRequestDto,
  SetRewardResponseDto,
  StartSessionRequestDto,
  StartSessionResponseDto,
  WorkerResultsResponseDto,
} from '@app/contracts';
import type { ControllerOptions } from '../config/controller-options.js';
import { StackService } from '../launcher/stack.service.js';

/** The data proxy operations the controller sends to every worker, through the gateway. */
export type BroadcastOp =
  'pause_generation' | 'continue_generation' | 'set_version' | 'release_memory_occupation' | 'resume_memory_occupation';

interface GatewayCall {
  path: string;
  json?: unknown;
  /** Call as this session instead of as the admin. */
  sessionKey?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * The controller's calls to the gateway, typed with the gateway's contracts: the per-worker
 * control operations, model registration, capacity permits, and an episode's session, reward and
 * export calls (with the admin key, or a member's own session key for its reward). Answers come
 * back with their status: what a failure means is the caller's business.
 */
@Injectable()
export class GatewayClient {
  constructor(
    private readonly http: HttpClient,
    private readonly stack: StackService,
    @Inject(APP_OPTIONS) private readonly options: ControllerOptions,
  ) {}

  /** Where agents reach the gateway (what their OpenAI clients use). */
  get baseUrl(): string {
    return this.stack.gatewayAddr;
  }

  /** One control operation on one data proxy (`/{op}/{worker_id}`). */
  workerOp(op: BroadcastOp, workerId: string, body: unknown): Promise<JsonResponse<WorkerResultsResponseDto>> {
    return this.post(`/${op}/${encodeURIComponent(workerId)}`, { json: body });
  }

  registerModel(body: Required<RegisterModelRequestDto>): Promise<JsonResponse<RegisterModelResponseDto>> {
    return this.post('/register_model', { json: body });
  }

  /** One router permit for a session about to start. */
  grantCapacity(signal?: AbortSignal): Promise<JsonResponse<GrantCapacityResponseDto>> {
    return this.post('/grant_capacity', { signal });
  }

  startSession(body: StartSessionRequestDto, signal?: AbortSignal): Promise<JsonResponse<StartSessionResponseDto>> {
    return this.post('/rl/start_session', { json: body, signal });
  }

  /** A reward, sent with the member's own session key (as its agent would). */
  setReward(
    sessionKey: string,
    body: SetRewardRequestDto,
    options: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<JsonResponse<SetRewardResponseDto>> {
    return this.post('/rl/set_reward', { sessionKey, json: body, ...options });
  }

  exportTrajectories(
    body: ExportTrajectoriesRequestDto,
    timeoutMs?: number,
  ): Promise<JsonResponse<ExportTrajectoriesResponseDto>> {
    return this.post('/export_trajectories', { json: body, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
  }

  private post<T>(path: string, call: Omit<GatewayCall, 'path'>): Promise<JsonResponse<T>> {
    return this.http.requestJson<T>({
      method: 'POST',
      url: `${this.stack.gatewayAddr}${path}`,
      headers: call.sessionKey ? { authorization: `Bearer ${call.sessionKey}` } : this.stack.adminHeaders(),
      ...(call.json !== undefined ? { json: call.json } : {}),
      timeoutMs: call.timeoutMs ?? this.options.ms['request-timeout'],
      ...(call.signal ? { signal: call.signal } : {}),
      upstreamName: 'gateway',
    });
  }
}
