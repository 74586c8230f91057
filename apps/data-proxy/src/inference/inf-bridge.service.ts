// One unit over 300 lines: the resubmit loop and the pause / continue / offload / onload / version
// transitions share one state (the gate, the released memory tags, the pause mode, the current
// version) and are only correct together. HTTP to the engine is EngineClient's (engine-client.ts).
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_OPTIONS, AppException, ErrorCode, HttpClient } from '@app/common';
import type { PauseMode, SglangUpdateWeightVersionRequestDto } from '@app/contracts';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import type { SegmentFinish, SegmentRequest, SegmentTokens, TopLogprob } from './engine-backend.js';
import { EngineClient, FALLBACK_CONTEXT_LENGTH } from './engine-client.js';
import type { GenerateInput, GenerateOutcome } from './generation.js';
import { PauseGate } from './pause-gate.js';

/** Moving weights between GPU and host memory takes a while (the reference allows 30 s). */
const MEMORY_TIMEOUT_MS = 30_000;
/** An SGLang abort pause answers only once every in-flight request has returned. */
const PAUSE_TIMEOUT_MS = 60_000;

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
 * A constrained generation (structured output) cannot be continued that way: the engine starts its
 * grammar afresh with every request, so `prompt + tokens so far` would get a new document after the
 * partial one. An aborted constrained generation therefore restarts from its prompt with its whole
 * budget, and the aborted tokens are discarded (counted in `constrainedDiscardedTokens`); so that a
 * streaming client never sees tokens that are later discarded, its tokens are reported once the
 * generation has finished. The recorded tokens and the answer are one output of one engine request.
 *
 * Offload pauses and drains the engine before releasing memory, and generation resumes only once
 * memory is back **and** the trainer has continued, in whatever order those arrive.
 * `/configure_backend` swaps the engine for new segments without touching segments in flight.
 */
@Injectable()
export class InfBridgeService implements OnApplicationBootstrap {
  private readonly logger = new Logger(InfBridgeService.name);
  readonly gate = new PauseGate();
  private engine: EngineClient | null;
  /** The weight version stamped on tokens dispatched from now on (`/set_version`). */
  private currentVersion = 0;
  private inFlight = 0;
  /** Segments resubmitted after an abort, since start (metrics). */
  resubmits = 0;
  /** Constrained generations restarted from their prompt after an abort, and the tokens they discarded (metrics). */
  constrainedRestarts = 0;
  constrainedDiscardedTokens = 0;
  /** Generations waiting behind the closed gate now (metrics, dashboard). */
  parked = 0;
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
    this.engine = addr ? new EngineClient(addr, http, options) : null;
  }

  /** Asks the engine what the data proxy needs to know, without delaying start (it may still be loading). */
  onApplicationBootstrap(): void {
    const engine = this.engine;
    if (!engine) return;
    void this.contextLength().then((length) => this.logger.log({ backend: engine.addr, length }, 'context length'));
    engine.memoryProblem().then(
      (lacks) => {
        if (lacks)
          this.logger.warn(
            { backend: engine.addr, lacks },
            'the engine cannot offload: /release_memory_occupation will be refused until it is restarted with the flag',
          );
      },
      // Not up yet: the first offload asks again.
      () => undefined,
    );
  }

  get hasBackend(): boolean {
    return this.engine !== null;
  }

  get backendAddr(): string {
    return this.engine?.addr ?? '';
  }

  /** The engine's model id (`/v1/models`), once known: a bounded metrics label. */
  get servedModel(): string {
    return this.engine?.servedModel ?? 'unknown';
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
    this.engine = new EngineClient(addr, this.http, this.options);
    this.logger.log({ backend: this.engine.addr }, 'backend reconfigured');
  }

  /**
   * Prompt + completion tokens the engine accepts: `--context-length` when given, else the
   * engine's `max_model_len` from `/v1/models` (both engines serve it; SGLang's model info lacks it).
   */
  async contextLength(): Promise<number> {
    const configured = this.options['context-length'];
    if (configured !== undefined) return configured;
    return this.engine ? this.engine.contextLength() : FALLBACK_CONTEXT_LENGTH;
  }

  /** Readiness: the engine answers a call that neither generates nor waits behind a pause. */
  async engineReachable(): Promise<boolean> {
    return this.engine ? this.engine.reachable() : true;
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
    const constrained = input.sampling.constraint !== null;
    // A constrained generation's tokens are final only when it finishes (an abort discards them).
    const deliver = constrained ? undefined : input.onTokens;
    const wantsTop = input.sampling.topLogprobs > 0;
    const tokens: number[] = [];
    const logprobs: number[] = [];
    const versions: number[] = [];
    const tops: TopLogprob[][] | null = wantsTop ? [] : null;
    const retries = this.options['max-resubmit-retries'];
    let finish: SegmentFinish | null = null;
    let segments = 0;
    let cachedTokens: number | null = null;
    // Only aborts that no pause explains count against the retry budget: a request that lives
    // through any number of pause/continue cycles (weight updates) is resubmitted every time.
    let unexplainedAborts = 0;
    while (unexplainedAborts < retries) {
      if (this.gate.isPaused) {
        this.parked++;
        try {
          await this.gate.waitUntilOpen(input.signal);
        } finally {
          this.parked--;
        }
      }
      const remaining = budget - tokens.length;
      if (remaining <= 0) {
        finish = { stop: 'length', matchedStop: null };
        break;
      }
      const engine = this.requireEngine();
      const dispatchVersion = this.currentVersion;
      const dispatchEpoch = this.gate.epoch;
      const segmentStart = tokens.length;
      if (segments++ > 0) this.resubmits++;
      const request: SegmentRequest = {
        // Fixed-length and random: SGLang aborts every rid that *starts with* the one named, so
        // no rid may be a prefix of another (`X-1` would also abort `X-10`).
        rid: randomUUID().replace(/-/g, ''),
        promptIds: tokens.length === 0 ? input.promptIds : [...input.promptIds, ...tokens],
        maxNewTokens: remaining,
        sampling: input.sampling,
        stream: deliver !== undefined,
      };
      const accept = (arrived: SegmentTokens): void => {
        const version = arrived.engineVersion ?? dispatchVersion;
        for (let i = 0; i < arrived.tokens.length; i++) {
          tokens.push(arrived.tokens[i]);
          logprobs.push(arrived.logprobs[i]);
          versions.push(version);
        }
        if (tops) for (const alternatives of arrived.topLogprobs ?? []) tops.push(alternatives);
        if (deliver && arrived.tokens.length > 0)
          deliver(
            arrived.tokens,
            arrived.logprobs,
            versions.slice(versions.length - arrived.tokens.length),
            tops ? (arrived.topLogprobs ?? []) : null,
          );
      };
      const result = await engine.runSegment(request, accept, input);
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
      if (tokens.length >= budget && !constrained) {
        finish = { stop: 'length', matchedStop: null };
        break;
      }
      if (constrained && tokens.length > 0) this.discardForRestart(tokens, logprobs, versions, tops, request.rid);
      // Aborted. A pause explains it (the gate parks us until continue); anything else gets a
      // short wait so a misbehaving engine is not hammered.
      if (!this.gate.isPaused && this.gate.epoch === dispatchEpoch) {
        unexplainedAborts++;
        this.logger.warn(
          { rid: request.rid, tokens: tokens.length },
          'engine aborted a request without a pause; resubmitting',
        );
        await delay(this.options.ms['resubmit-wait'], input.signal);
      }
    }
    if (!finish) {
      throw new AppException(
        503,
        ErrorCode.GENERATION_ABORTED,
        `generation was aborted by the engine ${unexplainedAborts} times without a pause (--max-resubmit-retries ${retries}) after ${tokens.length} tokens; the answer is incomplete`,
      );
    }
    if (constrained && input.onTokens && tokens.length > 0) input.onTokens(tokens, logprobs, versions, tops);
    return {
      outputTokens: tokens,
      outputLogprobs: logprobs,
      outputTopLogprobs: tops,
      outputVersions: versions,
      stop: finish.stop === 'stop' ? 'stop' : 'length',
      matchedStop: finish.matchedStop,
      segments,
      cachedTokens,
    };
  }

  /**
   * An aborted constrained generation starts over: the engine would begin a new document after the
   * partial one, so the partial tokens go (counted) and the next segment is the prompt alone.
   */
  private discardForRestart(
    tokens: number[],
    logprobs: number[],
    versions: number[],
    tops: TopLogprob[][] | null,
    rid: string,
  ): void {
    this.constrainedRestarts++;
    this.constrainedDiscardedTokens += tokens.length;
    this.logger.debug(
      { rid, discarded: tokens.length },
      'constrained generation aborted; restarting it from its prompt',
    );
    tokens.length = 0;
    logprobs.length = 0;
    versions.length = 0;
    if (tops) tops.length = 0;
  }

  /**
   * Pause: close the gate first (new requests park), then pause the engine. With `abort` (the
   * default) in-flight requests come back and resubmit after continue; with SGLang's `in_place`
   * or `retract` they stay on the engine and finish as one answer after continue.
   */
  async pause(mode: PauseMode = 'abort', requestId?: string): Promise<void> {
    const engine = this.requireEngine();
    if (mode !== 'abort' && engine.backend.name !== 'sglang')
      throw new AppException(400, ErrorCode.BAD_REQUEST, `pause mode '${mode}' needs an SGLang engine`);
    const wasPaused = this.gate.isPaused;
    this.gate.close();
    try {
      for (const call of engine.backend.pauseCalls(mode)) await engine.control(call, PAUSE_TIMEOUT_MS, requestId);
    } catch (err) {
      // The engine did not pause: do not leave every generation parked behind a closed gate.
      if (!wasPaused) this.gate.open();
      throw err;
    }
    this.pausedByTrainer = true;
    this.pauseMode = mode;
    // Control events are rare and are what an operator looks for in the logs.
    this.logger.log({ requestId, mode, parked: this.parked, inFlight: this.inFlight }, 'generation paused');
  }

  /** Continue: resume the engine, then open the gate (parked requests resubmit at once) — unless memory is still offloaded. */
  async resume(requestId?: string): Promise<void> {
    const engine = this.requireEngine();
    this.pausedByTrainer = false;
    if (this.releasedTags !== null) {
      this.logger.log('continue received while offloaded: generation resumes after onload');
      return;
    }
    await engine.control(engine.backend.resumeCall(), undefined, requestId);
    this.gate.open();
    this.logger.log({ requestId, resubmitting: this.parked }, 'generation continued');
  }

  /**
   * Offload the engine's weights and KV cache. SGLang asserts that no request is running, so the
   * engine is paused and drained first (abort, then SGLang's scheduler flag with `in_place`, as
   * AReaL does); generation resumes only after onload and continue. Refused with a clear error
   * when the engine was started without the flag that makes a release free anything.
   */
  async offload(): Promise<void> {
    const engine = this.requireEngine();
    const lacks = await engine.memoryProblem();
    if (lacks) {
      throw new AppException(
        409,
        ErrorCode.ENGINE_MISCONFIGURED,
        `engine ${engine.addr} (${engine.backend.name}) cannot release memory: start it with ${lacks}`,
      );
    }
    const wasPaused = this.gate.isPaused;
    this.gate.close();
    try {
      if (!wasPaused || this.pauseMode !== 'abort')
        for (const call of engine.backend.pauseCalls('abort')) await engine.control(call, PAUSE_TIMEOUT_MS);
      if (engine.backend.name === 'sglang')
        for (const call of engine.backend.pauseCalls('in_place')) await engine.control(call, PAUSE_TIMEOUT_MS);
      await engine.control(engine.backend.offloadCall(), MEMORY_TIMEOUT_MS);
    } catch (err) {
      if (!wasPaused) {
        await engine.control(engine.backend.resumeCall()).catch(() => undefined);
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
    const engine = this.requireEngine();
    await engine.control(engine.backend.onloadCall(tags), MEMORY_TIMEOUT_MS);
    if (this.releasedTags === null) return;
    if (tags === null || tags.length === 0) this.releasedTags = null;
    else {
      // A partial onload (AReaL loads weights, updates them, then the KV cache) keeps us offloaded until every tag is back.
      for (const tag of tags) this.releasedTags.delete(tag);
      if (this.releasedTags.size === 0) this.releasedTags = null;
    }
    if (this.releasedTags === null && !this.pausedByTrainer) {
      await engine.control(engine.backend.resumeCall());
      this.gate.open();
    }
  }

  /**
   * The version stamped on tokens from now on. After an `in_place`/`retract` pause, requests that
   * stayed on the SGLang engine go on under the new weights: the engine is told the version
   * (without aborting anything) so its per-token spans stamp them exactly.
   */
  async setVersion(version: number, requestId?: string): Promise<void> {
    this.currentVersion = version;
    this.logger.log({ requestId, version }, 'weight version set');
    const engine = this.engine;
    if (engine?.backend.name === 'sglang' && this.pauseMode !== 'abort' && this.gate.isPaused) {
      await engine.control({
        method: 'POST',
        path: '/update_weight_version',
        body: JSON.stringify({
          new_version: String(version),
          abort_all_requests: false,
        } satisfies SglangUpdateWeightVersionRequestDto),
      });
    }
  }

  private requireEngine(): EngineClient {
    if (!this.engine) {
      throw new AppException(
        503,
        ErrorCode.SERVICE_UNAVAILABLE,
        'No inference backend configured (external model mode).',
      );
    }
    return this.engine;
  }
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
