import { Inject, Injectable } from '@nestjs/common';
import { APP_OPTIONS, AppException, ErrorCode } from '@app/common';
import type { RouterOptions } from '../config/router-options.js';
import type { ModelEntry } from '../models/model-registry.js';
import { RouterState } from '../router-state.js';
import type { WorkerRecord } from '../workers/worker-registry.js';
import type { RouteRequestDto, RouteResponseDto } from '@app/contracts';

/** The gateway path whose admin-key routes create a session, and so must be spread, not pinned. */
export const START_SESSION_PATH = '/rl/start_session';

/**
 * Resolves which worker serves a request (`POST /route`). The reference's algorithm,
 * with its defects fixed: unknown models and unknown session ids are 404 (no silent fallback to
 * the first model); unhealthy workers are never picked; each candidate set rotates on its own;
 * admin-key session creation is spread by the strategy instead of landing on the HITL worker.
 * Synchronous from lookup to pin, so concurrent routes cannot race.
 */
@Injectable()
export class RouteService {
  constructor(
    private readonly state: RouterState,
    @Inject(APP_OPTIONS) private readonly options: RouterOptions,
  ) {}

  route(request: RouteRequestDto): RouteResponseDto {
    if (request.session_id !== undefined && request.session_id !== null) {
      const pinned = this.state.sessions.lookupById(request.session_id);
      if (pinned === null) throw new AppException(404, ErrorCode.SESSION_NOT_FOUND, 'Session not found');
      return this.answer(pinned);
    }

    const apiKey = request.api_key ?? null;
    // Model-only routing needs a model that exists (404 otherwise). With a key, the model only
    // narrows the candidates when it is registered: OpenAI SDKs always send some model name.
    const model = apiKey === null ? this.resolveModel(request.model ?? null) : this.knownModel(request.model ?? null);
    // In the model's declared order, each address once (AReaL 2.0): the order is the trainer's to choose.
    const candidateAddrs = model ? [...new Set(model.dataProxyAddrs)] : null;
    if (apiKey === null) {
      if (!model) {
        throw new AppException(422, ErrorCode.VALIDATION_FAILED, "Either 'api_key' or 'session_id' must be provided");
      }
      const worker = this.pick(candidateAddrs, `model:${model.name}`);
      return this.answer(worker.addr, worker, model);
    }

    const isAdmin = this.state.hitl.isKey(apiKey);
    if (isAdmin && request.path === START_SESSION_PATH) {
      // A new session: spread it like any other placement, never onto the HITL pin.
      const worker = this.pick(candidateAddrs, `sessions:${model?.name ?? ''}`);
      return this.answer(worker.addr, worker);
    }

    const pinned = this.state.sessions.lookupByKey(apiKey);
    if (pinned !== null) {
      const worker = this.state.workers.getByAddr(pinned);
      if (!worker || !worker.healthy) {
        throw new AppException(503, ErrorCode.WORKER_UNHEALTHY, 'Pinned worker unhealthy');
      }
      return { ...this.answer(pinned, worker), session_id: this.state.sessions.idForKey(apiKey) };
    }

    if (isAdmin) {
      // First admin-key chat: pin the persistent HITL session to one worker; later ones stay there.
      const worker = this.pick(candidateAddrs, `hitl:${model?.name ?? ''}`);
      this.state.hitl.pin(worker.addr);
      return this.answer(worker.addr, worker);
    }

    throw new AppException(404, ErrorCode.UNKNOWN_API_KEY, 'Unknown API key');
  }

  /** The named model if registered; else the default model; else none (never an error). */
  private knownModel(name: string | null): ModelEntry | null {
    if (name !== null) return this.state.models.get(name) ?? this.defaultModel();
    return this.defaultModel();
  }

  private defaultModel(): ModelEntry | null {
    const configured = this.options['default-model'];
    if (configured !== undefined) return this.state.models.get(configured) ?? this.state.models.first();
    return this.state.models.first();
  }

  /** The named model (404 if unknown), else the default model, else none. */
  private resolveModel(name: string | null): ModelEntry | null {
    if (name !== null) {
      const entry = this.state.models.get(name);
      if (!entry) throw new AppException(404, ErrorCode.MODEL_NOT_FOUND, `Model '${name}' not found`);
      return entry;
    }
    return this.defaultModel();
  }

  private pick(candidateAddrs: readonly string[] | null, setKey: string): WorkerRecord {
    const healthy = this.state.workers.healthyWorkers();
    let candidates = healthy;
    if (candidateAddrs) {
      const byAddr = new Map(healthy.map((worker) => [worker.addr, worker]));
      candidates = candidateAddrs.map((addr) => byAddr.get(addr)).filter((w): w is WorkerRecord => w !== undefined);
    }
    const worker = this.state.strategy.pick(candidates, setKey);
    if (!worker) throw new AppException(503, ErrorCode.NO_HEALTHY_WORKERS, 'No healthy workers');
    return worker;
  }

  private answer(addr: string, worker?: WorkerRecord | null, model?: ModelEntry): RouteResponseDto {
    const record = worker ?? this.state.workers.getByAddr(addr);
    if (record) record.assignedSinceReport++;
    return {
      worker_addr: addr,
      worker_id: record?.workerId ?? null,
      url: model ? model.url : null,
      api_key: model ? model.apiKey : null,
      pin_seq: this.state.pins.seq,
    };
  }
}
