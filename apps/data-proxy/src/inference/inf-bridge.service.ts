import type { PauseMode } from '@app/contracts';
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_OPTIONS, AppException, discardBody, ErrorCode, HttpClient, isJsonObject, readSseData } from '@app/common';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import {
  EngineProtocolError,
  EngineRequestError,
  type EngineBackend,
  type EngineCall,
  type EngineSampling,
  type SegmentFinish,
  type SegmentRequest,
  type SegmentResult,
  type SegmentTokens,
} from './engine-backend.js';
import { PauseGate } from './pause-gate.js';
import { SglangBackend } from './sglang-backend.js';
import { VllmBackend, type VllmPauseApi } from './vllm-backend.js';
import type { SglangUpdateWeightVersionRequestDto } from '@app/contracts';

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
  /**
   * The weight version of every output token: the engine's per-token spans when it reports them,
   * else the version it reports for the answer, else the version current when the segment was sent.
   */
  outputVersions: number[];
  stop: 'stop' | 'length';
  matchedStop: string | null;
  /** Engine requests this generation took (1 + resubmissions). */
  segments: number;
  /** Prompt tokens the engine served from its prefix cache (first segment), when it reports them. */
  cachedTokens: number | null;
}

interface EngineTarget {
  addr: string;
  backend: EngineBackend;
  /** The engine's context length from `/v1/models` (asked once per engine, until it answers). */
  contextLength?: Promise<number | null>;
  /** When to ask again after the engine gave no answer. */
  contextLengthRetryAt?: number;
  /** What the engine lacks for offloading to free memory, or null (asked once per engine). */
  memoryProblem?: Promise<string | null>;
}

/** Moving weights between GPU and host memory takes a while (the reference allows 30 s). */
const MEMORY_TIMEOUT_MS = 30_000;
/** An SGLang abort pause answers only once every in-flight request has returned. */
const PAUSE_TIMEOUT_MS = 60_000;
/** The reference's fixed context length, used while the engine has not said its own. */
const FALLBACK_CONTEXT_LENGTH = 32768;
const CONTEXT_LENGTH_RETRY_MS = 5_000;

/**
 * InfBridge: generation through the engine that survives weight-update pauses.
 *
 * A pause sets the shared gate and asks the engine to pause, which aborts in-flight requests;
 * each comes back with the tokens it produced, parks on the gate, and after continue resubmits
 * `prompt + tokens so far` with the remaining budget. Only aborts that no pause explains count
 * against `--max-resubmit-retries`; a request error (an abort with a status) fails at once.
 * Every answer is validated before its tokens count (exact log-probs, matching counts), and
 * every token is stamped with the version it was sampled under.
 *
 * Offload pauses and drains the engine before releasing memory, and generation resumes only once
 * memory is back **and** the trainer has continued, in whatever order those arrive.
 * `/configure_backend` swaps the engine for new segments without touching segments in flight.
 */
@Injectable()
export class InfBridgeService implements OnApplicationBootstrap {
  private readonly logger = new Logger(InfBridgeService.name);
  readonly gate = new PauseGate();
  private target: EngineTarget | null;
  /** The weight version stamped on tokens dispatched from now on (`/set_version`). */
  private currentVersion = 0;
  private inFlight = 0;
  /** The trainer paused (or offloaded) and has not continued yet. */
  private pausedByTrainer = false;
  /** Memory tags released and not yet resumed; generation waits while any is out. */
  private releasedTags: Set<string> | null = null;
  /** The mode of the latest pause: in_place/retract keep requests on the engine across the update. */
  private pauseMode: PauseMode = 'abort';

  constructor(
    private readonly http: HttpClient,
    @Inject(APP_OPTIONS) private readonly options: DataProxyOptions,
  ) {
    const addr = options['backend-addr'];
    this.target = addr ? this.createTarget(addr) : null;
  }

  /** Asks the engine what the data proxy needs to know, without delaying start (it may still be loading). */
  onApplicationBootstrap(): void {
    const target = this.target;
    if (!target) return;
    void this.contextLength().then((length) => this.logger.log({ backend: target.addr, length }, 'context length'));
    this.memoryProblem(target).then(
      (lacks) => {
        if (lacks)
          this.logger.warn(
            { backend: target.addr, lacks },
            'the engine cannot offload: /release_memory_occupation will be refused until it is restarted with the flag',
          );
      },
      // Not up yet: the first offload asks again.
      () => undefined,
    );
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

  get version(): number {
    return this.currentVersion;
  }

  get isOffloaded(): boolean {
    return this.releasedTags !== null;
  }

  /** Points new segments at another engine; in-flight segments finish where they are. */
  configureBackend(addr: string): void {
    this.target = this.createTarget(addr);
    this.logger.log({ backend: this.target.addr }, 'backend reconfigured');
  }

  /**
   * Prompt + completion tokens the engine accepts: `--context-length` when given, else the
   * engine's `max_model_len` from `/v1/models` (both engines serve it; SGLang's model info lacks it).
   */
  async contextLength(): Promise<number> {
    const configured = this.options['context-length'];
    if (configured !== undefined) return configured;
    const target = this.target;
    if (!target) return FALLBACK_CONTEXT_LENGTH;
    if (
      !target.contextLength ||
      (target.contextLengthRetryAt !== undefined && Date.now() >= target.contextLengthRetryAt)
    ) {
      target.contextLengthRetryAt = undefined;
      target.contextLength = this.askContextLength(target).then((length) => {
        // Not known yet (engine still loading, or down): the fallback serves for a while, then ask again.
        if (length === null) target.contextLengthRetryAt = Date.now() + CONTEXT_LENGTH_RETRY_MS;
        return length;
      });
    }
    return (await target.contextLength) ?? FALLBACK_CONTEXT_LENGTH;
  }

  /** Readiness: the engine answers a call that neither generates nor waits behind a pause. */
  async engineReachable(): Promise<boolean> {
    const target = this.target;
    if (!target) return true;
    try {
      return (await this.listModels(target)).status === 200;
    } catch {
      return false;
    }
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
    const retries = this.options['max-resubmit-retries'];
    let finish: SegmentFinish | null = null;
    let segments = 0;
    let cachedTokens: number | null = null;
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
      const dispatchVersion = this.currentVersion;
      const dispatchEpoch = this.gate.epoch;
      const segmentStart = tokens.length;
      segments++;
      const request: SegmentRequest = {
        // Fixed-length and random: SGLang aborts every rid that *starts with* the one named, so
        // no rid may be a prefix of another (`X-1` would also abort `X-10`).
        rid: randomUUID().replace(/-/g, ''),
        promptIds: tokens.length === 0 ? input.promptIds : [...input.promptIds, ...tokens],
        maxNewTokens: remaining,
        sampling: input.sampling,
        stream: input.onTokens !== undefined,
      };
      const accept = (arrived: SegmentTokens): void => {
        const version = arrived.engineVersion ?? dispatchVersion;
        for (let i = 0; i < arrived.tokens.length; i++) {
          tokens.push(arrived.tokens[i]);
          logprobs.push(arrived.logprobs[i]);
          versions.push(version);
        }
        if (arrived.tokens.length > 0)
          input.onTokens?.(arrived.tokens, arrived.logprobs, versions.slice(versions.length - arrived.tokens.length));
      };
      const result = await this.runSegment(target, request, accept, input);
      if (segments === 1 && result.cachedTokens !== undefined) cachedTokens = result.cachedTokens;
      // The engine's spans say which version sampled each token of the segment; they win over
      // the single version it reports for the whole answer.
      for (const span of result.versionSpans ?? []) {
        if (span.version === null) continue;
        const end = Math.min(segmentStart + span.end, tokens.length);
        for (let i = segmentStart + span.start; i < end; i++) versions[i] = span.version;
      }
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
      cachedTokens,
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
      headers: this.headers(false),
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
        const body = this.parseAnswer(response.status, response.body.toString('utf8'), target);
        const result: SegmentResult = this.engineCall(() => target.backend.parseResponse(body), target);
        accept(result);
        return result;
      }
      const response = await this.http.stream({ ...common, headersTimeoutMs: timeoutMs, bodyTimeoutMs: timeoutMs });
      if (response.status < 200 || response.status >= 300) {
        const text = await readAll(response.body);
        this.parseAnswer(response.status, text, target);
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
          const parsed = parse(event);
          if (parsed.tokens) accept(parsed.tokens);
          if (parsed.finish) finish = parsed.finish;
        }
      } catch (err) {
        discardBody(response.body);
        throw this.engineError(err, target);
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

  /**
   * Pause: close the gate first (new requests park), then pause the engine. With `abort` (the
   * default) in-flight requests come back and resubmit after continue; with SGLang's `in_place`
   * or `retract` they stay on the engine and finish as one answer after continue.
   */
  async pause(mode: PauseMode = 'abort'): Promise<void> {
    const target = this.requireTarget();
    if (mode !== 'abort' && target.backend.name !== 'sglang')
      throw new AppException(400, ErrorCode.BAD_REQUEST, `pause mode '${mode}' needs an SGLang engine`);
    const wasPaused = this.gate.isPaused;
    this.gate.close();
    try {
      for (const call of target.backend.pauseCalls(mode)) await this.control(target, call, PAUSE_TIMEOUT_MS);
    } catch (err) {
      // The engine did not pause: do not leave every generation parked behind a closed gate.
      if (!wasPaused) this.gate.open();
      throw err;
    }
    this.pausedByTrainer = true;
    this.pauseMode = mode;
  }

  /** Continue: resume the engine, then open the gate (parked requests resubmit at once) — unless memory is still offloaded. */
  async resume(): Promise<void> {
    const target = this.requireTarget();
    this.pausedByTrainer = false;
    if (this.releasedTags !== null) {
      this.logger.log('continue received while offloaded: generation resumes after onload');
      return;
    }
    await this.control(target, target.backend.resumeCall());
    this.gate.open();
  }

  /**
   * Offload the engine's weights and KV cache. SGLang asserts that no request is running, so the
   * engine is paused and drained first (abort, then SGLang's scheduler flag with `in_place`, as
   * AReaL does); generation resumes only after onload and continue. Refused with a clear error
   * when the engine was started without the flag that makes a release free anything.
   */
  async offload(): Promise<void> {
    const target = this.requireTarget();
    const lacks = await this.memoryProblem(target);
    if (lacks) {
      throw new AppException(
        409,
        ErrorCode.ENGINE_MISCONFIGURED,
        `engine ${target.addr} (${target.backend.name}) cannot release memory: start it with ${lacks}`,
      );
    }
    const wasPaused = this.gate.isPaused;
    this.gate.close();
    try {
      if (!wasPaused || this.pauseMode !== 'abort')
        for (const call of target.backend.pauseCalls('abort')) await this.control(target, call, PAUSE_TIMEOUT_MS);
      if (target.backend.name === 'sglang')
        for (const call of target.backend.pauseCalls('in_place')) await this.control(target, call, PAUSE_TIMEOUT_MS);
      await this.control(target, target.backend.offloadCall(), MEMORY_TIMEOUT_MS);
    } catch (err) {
      if (!wasPaused) {
        await this.control(target, target.backend.resumeCall()).catch(() => undefined);
        this.gate.open();
      }
      throw err;
    }
    this.pausedByTrainer = true;
    this.pauseMode = 'abort';
    // What AReaL onloads, in its order (weights, update, then the KV cache); any other tag is ignored.
    this.releasedTags = new Set(['weights', 'kv_cache']);
  }

  /** Load memory back (`tags` picks what; null for everything); generation resumes if the trainer has continued too. */
  async onload(tags: string[] | null): Promise<void> {
    const target = this.requireTarget();
    await this.control(target, target.backend.onloadCall(tags), MEMORY_TIMEOUT_MS);
    if (this.releasedTags === null) return;
    if (tags === null || tags.length === 0) this.releasedTags = null;
    else {
      // A partial onload (AReaL loads weights, updates them, then the KV cache) keeps us offloaded until every tag is back.
      for (const tag of tags) this.releasedTags.delete(tag);
      if (this.releasedTags.size === 0) this.releasedTags = null;
    }
    if (this.releasedTags === null && !this.pausedByTrainer) {
      await this.control(target, target.backend.resumeCall());
      this.gate.open();
    }
  }

  /**
   * The version stamped on tokens from now on. After an `in_place`/`retract` pause, requests that
   * stayed on the SGLang engine go on under the new weights: the engine is told the version
   * (without aborting anything) so its per-token spans stamp them exactly.
   */
  async setVersion(version: number): Promise<void> {
    this.currentVersion = version;
    const target = this.target;
    if (target?.backend.name === 'sglang' && this.pauseMode !== 'abort' && this.gate.isPaused) {
      await this.control(target, {
        method: 'POST',
        path: '/update_weight_version',
        body: JSON.stringify({
          new_version: String(version),
          abort_all_requests: false,
        } satisfies SglangUpdateWeightVersionRequestDto),
      });
    }
  }

  private createTarget(addr: string): EngineTarget {
    return {
      addr: addr.replace(/\/+$/, ''),
      backend: createBackend(this.options['backend-type'], this.options['vllm-pause-api']),
    };
  }

  /** `GET /v1/models`: both engines serve it, it states `max_model_len`, and it never generates or waits behind a pause. */
  private listModels(target: EngineTarget): ReturnType<HttpClient['request']> {
    return this.http.request({
      method: 'GET',
      url: `${target.addr}/v1/models`,
      headers: this.headers(false),
      timeoutMs: 5_000,
      maxResponseBytes: 1024 * 1024,
    });
  }

  private async askContextLength(target: EngineTarget): Promise<number | null> {
    try {
      const res = await this.listModels(target);
      const body = res.status === 200 ? (JSON.parse(res.body.toString('utf8')) as unknown) : null;
      const first = isJsonObject(body) && Array.isArray(body.data) ? (body.data[0] as unknown) : null;
      const length = isJsonObject(first) ? first.max_model_len : null;
      if (typeof length === 'number' && Number.isInteger(length) && length > 0) return length;
      this.logger.warn({ backend: target.addr, status: res.status }, 'engine /v1/models has no max_model_len');
    } catch (err) {
      this.logger.debug({ err, backend: target.addr }, 'engine /v1/models not reachable yet');
    }
    return null;
  }

  private memoryProblem(target: EngineTarget): Promise<string | null> {
    target.memoryProblem ??= (async () => {
      const { call, lacks } = target.backend.memoryCheck();
      try {
        const res = await this.http.request({
          method: call.method,
          url: `${target.addr}${call.path}`,
          headers: this.headers(true),
          timeoutMs: 5_000,
          maxResponseBytes: 4 * 1024 * 1024,
        });
        let body: unknown = null;
        try {
          body = JSON.parse(res.body.toString('utf8'));
        } catch {
          // an empty or non-JSON answer: judged by its status
        }
        return lacks(res.status, body);
      } catch (err) {
        target.memoryProblem = undefined; // unreachable: ask again next time
        throw err;
      }
    })();
    return target.memoryProblem;
  }

  /** A control call; only the status counts (SGLang answers `null` or nothing, vLLM an empty body). */
  private async control(target: EngineTarget, call: EngineCall, timeoutMs = 10_000): Promise<void> {
    const response = await this.http.request({
      method: call.method,
      url: `${target.addr}${call.path}`,
      headers: this.headers(true),
      body: call.body,
      timeoutMs,
      upstreamName: `engine ${target.addr}`,
    });
    if (response.status < 200 || response.status >= 300) {
      throw new AppException(
        502,
        ErrorCode.UPSTREAM_BAD_RESPONSE,
        `engine ${target.addr}${call.path} answered HTTP ${response.status}: ${response.body.toString('utf8').slice(0, 300)}`,
      );
    }
  }

  private abortOnEngine(target: EngineTarget, rid: string): void {
    const abort = target.backend.abortCall(rid);
    if (!abort) return;
    this.http
      .request({
        method: abort.method,
        url: `${target.addr}${abort.path}`,
        headers: this.headers(true),
        body: abort.body,
        timeoutMs: 5000,
      })
      .catch((err: unknown) => this.logger.debug({ err, rid }, 'engine abort_request failed'));
  }

  /**
   * Generation takes the engine's api key; control calls (pause, continue, abort, weights,
   * memory) its admin key when one is set: SGLang with both keys accepts only the admin key there.
   */
  private headers(control: boolean): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const key = (control ? this.options['backend-admin-api-key'] : undefined) ?? this.options['backend-api-key'];
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

  /**
   * A generation answer's JSON. An engine that refuses the request (4xx: prompt too long, bad
   * parameter) passes its status and message to the agent; anything else it fails with is a 502.
   */
  private parseAnswer(status: number, text: string, target: EngineTarget): unknown {
    if (status < 200 || status >= 300) {
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: reported as text below
      }
      const error = isJsonObject(body) ? (isJsonObject(body.error) ? body.error : body) : null;
      const message = error && typeof error.message === 'string' ? error.message : text.slice(0, 500);
      throw this.engineError(new EngineRequestError(status, message), target);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new AppException(502, ErrorCode.UPSTREAM_BAD_RESPONSE, `engine ${target.addr} answered with invalid JSON`);
    }
  }

  private engineCall<T>(fn: () => T, target: EngineTarget): T {
    try {
      return fn();
    } catch (err) {
      throw this.engineError(err, target);
    }
  }

  /** Engine-side failures as the agent sees them; anything else passes unchanged. */
  private engineError(err: unknown, target: EngineTarget): unknown {
    if (err instanceof EngineProtocolError)
      return new AppException(502, ErrorCode.ENGINE_PROTOCOL, `engine ${target.addr}: ${err.message}`);
    if (err instanceof EngineRequestError) {
      // The engine refusing our key, or being overloaded, is not the agent's request at fault.
      const passes = err.status >= 400 && err.status < 500 && ![401, 403, 407, 408, 429].includes(err.status);
      return passes
        ? new AppException(err.status, ErrorCode.ENGINE_REQUEST_REJECTED, err.message)
        : new AppException(
            502,
            ErrorCode.UPSTREAM_BAD_RESPONSE,
            `engine ${target.addr} failed the request (${err.status}): ${err.message}`,
          );
    }
    return err;
  }
}

export function createBackend(type: string, vllmPauseApi: string = 'areal'): EngineBackend {
  if (type === 'sglang') return new SglangBackend();
  if (type === 'vllm') return new VllmBackend(vllmPauseApi as VllmPauseApi);
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
