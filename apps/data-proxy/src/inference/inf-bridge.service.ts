import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_OPTIONS, AppException, discardBody, ErrorCode, HttpClient, readSseData } from '@app/common';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import {
  EngineProtocolError,
  type EngineBackend,
  type EngineSampling,
  type SegmentFinish,
  type SegmentRequest,
  type SegmentResult,
  type SegmentTokens,
} from './engine-backend.js';
import { PauseGate } from './pause-gate.js';
import { SglangBackend } from './sglang-backend.js';
import { VllmBackend } from './vllm-backend.js';

export interface GenerateInput {
  promptIds: readonly number[];
  /** Completion budget across every resubmitted segment. */
  maxNewTokens: number;
  sampling: EngineSampling;
  /** When given, the engine is asked to stream and each arrival is reported here. */
  onTokens?: (tokens: readonly number[], logprobs: readonly number[], versions: readonly number[]) => void;
  /** Aborts the generation (client gone): the engine request is cancelled too. */
  signal?: AbortSignal;
  requestId?: string;
}

export interface GenerateOutcome {
  outputTokens: number[];
  outputLogprobs: number[];
  /** The weight version of every output token: the engine's report, else the version current when its segment was sent. */
  outputVersions: number[];
  stop: 'stop' | 'length';
  matchedStop: string | null;
  /** Engine requests this generation took (1 + resubmissions). */
  segments: number;
}

interface EngineTarget {
  addr: string;
  backend: EngineBackend;
}

/**
 * InfBridge: generation through the engine that survives weight-update pauses.
 *
 * A pause sets the shared gate and asks the engine to pause, which aborts in-flight requests;
 * each comes back with the tokens it produced, parks on the gate, and after continue resubmits
 * `prompt + tokens so far` with the remaining budget, up to `--max-resubmit-retries` engine
 * requests. Every token is stamped with the version current when its segment was dispatched
 * (or the version the engine reports, when it reports one). `/configure_backend` swaps the
 * engine for new segments without touching segments in flight.
 */
/** Moving weights between GPU and host memory takes a while (the reference allows 30 s). */
const MEMORY_TIMEOUT_MS = 30_000;

@Injectable()
export class InfBridgeService {
  private readonly logger = new Logger(InfBridgeService.name);
  readonly gate = new PauseGate();
  private target: EngineTarget | null;
  /** The weight version stamped on tokens dispatched from now on (`/set_version`). */
  version = 0;
  private inFlight = 0;

  constructor(
    private readonly http: HttpClient,
    @Inject(APP_OPTIONS) private readonly options: DataProxyOptions,
  ) {
    const addr = options['backend-addr'];
    this.target = addr ? { addr: addr.replace(/\/+$/, ''), backend: createBackend(options['backend-type']) } : null;
  }

  get hasBackend(): boolean {
    return this.target !== null;
  }

  get backendAddr(): string {
    return this.target?.addr ?? '';
  }

  /** Generations currently running or parked (reported on /health for least-busy routing). */
  get activeRequests(): number {
    return this.inFlight;
  }

  /** Points new segments at another engine; in-flight segments finish where they are. */
  configureBackend(addr: string): void {
    this.target = { addr: addr.replace(/\/+$/, ''), backend: createBackend(this.options['backend-type']) };
    this.logger.log({ backend: this.target.addr }, 'backend reconfigured');
  }

  async generate(input: GenerateInput): Promise<GenerateOutcome> {
    this.inFlight++;
    try {
      return await this.resubmitLoop(input);
    } finally {
      this.inFlight--;
    }
  }

  private async resubmitLoop(input: GenerateInput): Promise<GenerateOutcome> {
    const budget = input.maxNewTokens;
    const tokens: number[] = [];
    const logprobs: number[] = [];
    const versions: number[] = [];
    const baseRid = randomUUID().replace(/-/g, '');
    const retries = this.options['max-resubmit-retries'];
    let finish: SegmentFinish | null = null;
    let segments = 0;
    // Only aborts that no pause explains count against the retry budget: a request that lives
    // through any number of pause/continue cycles (weight updates) is resubmitted every time.
    let unexplainedAborts = 0;
    while (unexplainedAborts < retries) {
      await this.gate.waitUntilOpen(input.signal);
      const remaining = budget - tokens.length;
      if (remaining <= 0) {
        finish = { stop: 'length', matchedStop: null };
        break;
      }
      const target = this.requireTarget();
      const dispatchVersion = this.version;
      const dispatchEpoch = this.gate.epoch;
      segments++;
      const request: SegmentRequest = {
        rid: `${baseRid}-${segments}`,
        promptIds: tokens.length === 0 ? input.promptIds : [...input.promptIds, ...tokens],
        maxNewTokens: remaining,
        sampling: input.sampling,
        stream: input.onTokens !== undefined,
      };
      const accept = (arrived: SegmentTokens): void => {
        const version = arrived.engineVersion ?? dispatchVersion;
        const stamped = arrived.tokens.map(() => version);
        for (let i = 0; i < arrived.tokens.length; i++) {
          tokens.push(arrived.tokens[i]);
          logprobs.push(arrived.logprobs[i]);
          versions.push(version);
        }
        if (arrived.tokens.length > 0) input.onTokens?.(arrived.tokens, arrived.logprobs, stamped);
      };
      const result = await this.runSegment(target, request, accept, input);
      if (result.stop === 'stop' || result.stop === 'length') {
        finish = result;
        break;
      }
      if (tokens.length >= budget) {
        finish = { stop: 'length', matchedStop: null };
        break;
      }
      // Aborted. A pause explains it (the gate parks us until continue); anything else gets a
      // short wait so a misbehaving engine is not hammered.
      if (!this.gate.isPaused && this.gate.epoch === dispatchEpoch) {
        unexplainedAborts++;
        this.logger.warn(
          { rid: request.rid, tokens: tokens.length },
          'engine aborted a request without a pause; resubmitting',
        );
        await delay(this.options['resubmit-wait'] * 1000, input.signal);
      }
    }
    if (!finish) {
      throw new AppException(
        503,
        ErrorCode.GENERATION_ABORTED,
        `generation was aborted by the engine ${unexplainedAborts} times without a pause (--max-resubmit-retries ${retries}) after ${tokens.length} tokens; the answer is incomplete`,
      );
    }
    return {
      outputTokens: tokens,
      outputLogprobs: logprobs,
      outputVersions: versions,
      stop: finish.stop === 'stop' ? 'stop' : 'length',
      matchedStop: finish.matchedStop,
      segments,
    };
  }

  private async runSegment(
    target: EngineTarget,
    request: SegmentRequest,
    accept: (tokens: SegmentTokens) => void,
    input: GenerateInput,
  ): Promise<SegmentFinish> {
    const url = `${target.addr}${target.backend.generatePath}`;
    const timeoutMs = this.options['request-timeout'] * 1000;
    const common = {
      method: 'POST' as const,
      url,
      headers: this.headers(),
      body: JSON.stringify(target.backend.buildRequest(request)),
      signal: input.signal,
      requestId: input.requestId,
      upstreamName: `engine ${target.addr}`,
    };
    const onAbort = (): void => this.abortOnEngine(target, request.rid);
    input.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (!request.stream) {
        const response = await this.http.request({
          ...common,
          headersTimeoutMs: timeoutMs,
          bodyTimeoutMs: timeoutMs,
          maxResponseBytes: 256 * 1024 * 1024,
        });
        const body = this.parseJson(response.status, response.body.toString('utf8'), target);
        const result: SegmentResult = this.protocol(() => target.backend.parseResponse(body), target);
        accept(result);
        return result;
      }
      const response = await this.http.stream({ ...common, headersTimeoutMs: timeoutMs, bodyTimeoutMs: timeoutMs });
      if (response.status < 200 || response.status >= 300) {
        const text = await readAll(response.body);
        this.parseJson(response.status, text, target);
      }
      const parse = target.backend.createStreamParser();
      let finish: SegmentFinish | undefined;
      try {
        for await (const data of readSseData(response.body)) {
          if (data === '[DONE]') break;
          let event: unknown;
          try {
            event = JSON.parse(data);
          } catch {
            throw new EngineProtocolError('engine stream event is not JSON');
          }
          const parsed = this.protocol(() => parse(event), target);
          if (parsed.tokens) accept(parsed.tokens);
          if (parsed.finish) finish = parsed.finish;
        }
      } catch (err) {
        discardBody(response.body);
        if (err instanceof EngineProtocolError) throw this.protocolError(err, target);
        throw err;
      }
      if (!finish)
        throw new AppException(
          502,
          ErrorCode.UPSTREAM_BAD_RESPONSE,
          `engine ${target.addr} ended the stream without a finish reason`,
        );
      return finish;
    } catch (err) {
      if (input.signal?.aborted)
        throw new AppException(499, ErrorCode.CLIENT_CLOSED_REQUEST, 'client closed the request');
      throw err;
    } finally {
      input.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Pause: close the gate first (new requests park), then pause the engine (in-flight ones abort). */
  async pause(): Promise<void> {
    const target = this.requireTarget();
    const wasPaused = this.gate.isPaused;
    this.gate.close();
    try {
      await this.control(target, target.backend.pausePath);
    } catch (err) {
      // The engine did not pause: do not leave every generation parked behind a closed gate.
      if (!wasPaused) this.gate.open();
      throw err;
    }
  }

  /** Continue: resume the engine first, then open the gate (parked requests resubmit at once). */
  async resume(): Promise<void> {
    const target = this.requireTarget();
    await this.control(target, target.backend.resumePath);
    this.gate.open();
  }

  /** Offload the engine's weights and KV cache (the trainer needs the GPU memory). The pause state is untouched. */
  async offload(): Promise<void> {
    const target = this.requireTarget();
    const { path, body } = target.backend.offloadRequest();
    await this.control(target, path, body, MEMORY_TIMEOUT_MS);
  }

  async onload(tags: string[] | null): Promise<void> {
    const target = this.requireTarget();
    const { path, body } = target.backend.onloadRequest(tags);
    await this.control(target, path, body, MEMORY_TIMEOUT_MS);
  }

  private async control(target: EngineTarget, path: string, body = '{}', timeoutMs = 10_000): Promise<void> {
    const response = await this.http.request({
      method: 'POST',
      url: `${target.addr}${path}`,
      headers: this.headers(),
      body,
      timeoutMs,
      upstreamName: `engine ${target.addr}`,
    });
    if (response.status < 200 || response.status >= 300) {
      throw new AppException(
        502,
        ErrorCode.UPSTREAM_BAD_RESPONSE,
        `engine ${target.addr}${path} answered HTTP ${response.status}: ${response.body.toString('utf8').slice(0, 300)}`,
      );
    }
  }

  private abortOnEngine(target: EngineTarget, rid: string): void {
    const abort = target.backend.abortRequest(rid);
    if (!abort) return;
    this.http
      .request({
        method: 'POST',
        url: `${target.addr}${abort.path}`,
        headers: this.headers(),
        body: JSON.stringify(abort.body),
        timeoutMs: 5000,
      })
      .catch((err: unknown) => this.logger.debug({ err, rid }, 'engine abort_request failed'));
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const key = this.options['backend-api-key'];
    if (key) headers.authorization = `Bearer ${key}`;
    return headers;
  }

  private requireTarget(): EngineTarget {
    if (!this.target) {
      throw new AppException(
        503,
        ErrorCode.SERVICE_UNAVAILABLE,
        'No inference backend configured (external model mode).',
      );
    }
    return this.target;
  }

  private parseJson(status: number, text: string, target: EngineTarget): unknown {
    if (status < 200 || status >= 300) {
      throw new AppException(
        502,
        ErrorCode.UPSTREAM_BAD_RESPONSE,
        `engine ${target.addr} answered HTTP ${status}: ${text.slice(0, 500)}`,
      );
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new AppException(502, ErrorCode.UPSTREAM_BAD_RESPONSE, `engine ${target.addr} answered with invalid JSON`);
    }
  }

  private protocol<T>(fn: () => T, target: EngineTarget): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof EngineProtocolError) throw this.protocolError(err, target);
      throw err;
    }
  }

  private protocolError(err: EngineProtocolError, target: EngineTarget): AppException {
    return new AppException(502, ErrorCode.UPSTREAM_BAD_RESPONSE, `engine ${target.addr}: ${err.message}`);
  }
}

export function createBackend(type: string): EngineBackend {
  if (type === 'sglang') return new SglangBackend();
  if (type === 'vllm') return new VllmBackend();
  throw new Error(`Unsupported backend_type: '${type}'`);
}

async function readAll(body: AsyncIterable<unknown>): Promise<string> {
  let text = '';
  for await (const chunk of body) text += (chunk as Buffer).toString('utf8');
  return text;
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new AppException(499, ErrorCode.CLIENT_CLOSED_REQUEST, 'client closed the request'));
      },
      { once: true },
    );
  });
}
