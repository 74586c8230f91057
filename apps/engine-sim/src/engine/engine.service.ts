// One unit over 300 lines: engine-sim's scheduler (batching, the pause modes, aborts, memory release,
// weight versions, fault injection) is one state machine, as a real engine's scheduler is.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { APP_OPTIONS, AppException, ErrorCode } from '@app/common';
import type { EngineSimOptions } from '../config/engine-sim-options.js';
import { candidatesAt, EchoPlan, hashIds, planEcho, TextPlan, type AnswerPlan } from './answer-plan.js';
import { ConstrainedDecoding, intendedText } from './constraints/constrained-decoding.js';
import { ConstraintCompiler, type CompiledConstraint } from './constraints/constraint.js';
import { ConstraintError } from './constraints/constraint-error.js';
import { EngineModel } from './engine-model.js';
import { planAgentAnswer } from './families/agent-plan.js';
import {
  GenerationRequest,
  type FinishReason,
  type GenerationListener,
  type GenerationParams,
  type RequestFault,
  type RequestRejection,
} from './generation-request.js';
import { mix, Random } from './random.js';
import { sampleToken, type Candidate } from './sampler.js';

/** SGLang's pause modes, plus vLLM's `wait` (in-flight requests finish, new ones wait) and `keep` (= in place). */
export type PauseMode = 'abort' | 'in_place' | 'retract' | 'wait';

/** A release refused because requests are live (SGLang asserts that none is). */
export class EngineBusyError extends Error {}

/** Prompt blocks the prefix cache hashes (vLLM's default block size; SGLang caches per token). */
const PREFIX_BLOCK = 16;
/** Cap on remembered blocks; the cache starts over beyond it (a simulator needs no eviction policy). */
const PREFIX_CACHE_MAX_BLOCKS = 200_000;

export interface SubmitInput {
  rid?: string;
  promptIds: readonly number[];
  params: GenerationParams;
  listener: GenerationListener;
  /** How many top alternatives to keep per step (vLLM `logprobs: n`, SGLang `top_logprobs_num`). */
  topLogprobs?: number;
  /** The answer planned ahead (agent mode: `planAhead`); else the mode's plan. */
  plan?: AnswerPlan | null;
  /** Structured output: every token continues a whole output this constraint accepts. */
  constraint?: CompiledConstraint | null;
  /** Refuse the request at admission with this status (SGLang's way with an invalid grammar). */
  rejection?: RequestRejection | null;
}

/** Counters the metrics endpoint reads. */
export interface EngineCounters {
  tokensGenerated: number;
  requestsFinished: Record<FinishReason['type'], number>;
}

/**
 * The simulated engine: a queue, a running batch and one scheduler loop.
 *
 * Each loop iteration ("decoding step") admits waiting requests up to `--max-running` and
 * appends one token to every running request whose prefill is done, then schedules itself
 * `--decode-ms-per-token` later (immediately when that is 0, yielding to I/O in between). One
 * timer for the whole engine, not one per token per request, so thousands of streams are cheap.
 *
 * Pause (`abort`): every queued and running request ends now with finish reason `abort` and the
 * tokens it has; new requests wait until continue. Pause (`in_place`/`retract`): running requests
 * freeze and resume on continue. Each token records the weight version current when produced.
 */
@Injectable()
export class EngineService implements OnApplicationShutdown {
  private readonly logger = new Logger(EngineService.name);
  private readonly waiting: GenerationRequest[] = [];
  private readonly running = new Set<GenerationRequest>();
  private readonly byRid = new Map<string, GenerationRequest>();
  private paused: PauseMode | null = null;
  /** Weights and KV cache offloaded (`release_memory_occupation`, vLLM `sleep`): nothing runs until resumed. */
  private memoryReleased = false;
  private scheduled = false;
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private requestCounter = 0;
  private readonly nextStepAt = new WeakMap<GenerationRequest, number>();
  private readonly prefixBlocks = new Set<number>();
  /** One-shot faults for the next requests, in order (`POST /engine_sim/faults`). */
  private readonly pendingFaults: RequestFault[] = [];
  /** Resolvers waiting for the running batch to drain (vLLM `/pause?mode=wait`). */
  private drainWaiters: (() => void)[] = [];
  /** When the scheduler last produced a token or finished a request (SGLang's /health watches this). */
  lastOutputAt = 0;
  weightVersion: string;
  /** Compiled constraints, the most recent kept (the engines cache compiled grammars the same way). */
  readonly constraints = new ConstraintCompiler();
  readonly counters: EngineCounters = { tokensGenerated: 0, requestsFinished: { stop: 0, length: 0, abort: 0 } };

  constructor(
    readonly model: EngineModel,
    @Inject(APP_OPTIONS) private readonly options: EngineSimOptions,
  ) {
    this.weightVersion = options['weight-version'];
  }

  onApplicationShutdown(): void {
    this.abortAll();
    this.clearTimer();
  }

  get runningCount(): number {
    return this.running.size;
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  get pauseMode(): PauseMode | null {
    return this.paused;
  }

  /** Queues a generation. Throws 400 for a duplicate request id. */
  submit(input: SubmitInput): GenerationRequest {
    const rid = input.rid ?? randomUUID().replace(/-/g, '');
    if (this.byRid.has(rid)) {
      throw new AppException(400, ErrorCode.BAD_REQUEST, `Duplicate request ID: ${rid}`);
    }
    const counter = this.requestCounter++;
    const seed = input.params.seed ?? mix(this.options.seed, counter);
    const random = new Random(seed);
    const contextHash = hashIds(input.promptIds);
    const request = new GenerationRequest(
      rid,
      input.promptIds,
      input.params,
      input.plan ?? this.planFor(input.promptIds, random, contextHash),
      random,
      contextHash,
      this.model.tokenizer.streamDecoder(input.params.skipSpecialTokens),
      input.listener,
      input.topLogprobs ?? 0,
    );
    request.cachedTokens = this.lookupPrefix(input.promptIds);
    request.fault = this.pendingFaults.shift() ?? null;
    request.rejection = input.rejection ?? null;
    if (input.constraint && !request.rejection) this.constrain(request, input.constraint);
    this.byRid.set(rid, request);
    this.waiting.push(request);
    this.wake();
    return request;
  }

  /** Drops a request whose client went away; nothing more is sent to its listener. */
  cancel(request: GenerationRequest): void {
    if (request.finished) return;
    request.finishReason = { type: 'abort', message: 'client disconnected' };
    this.detach(request);
  }

  /**
   * SGLang's `/abort_request`: `abort_all`, or every live request whose rid **starts with** `rid`.
   * With one tokenizer worker the abort goes ahead only if `rid` itself is live; with several it
   * is forwarded regardless, so `X-1` also ends a live `X-10`. Returns how many were aborted.
   */
  abort(rid: string | null, all: boolean): number {
    if (all) return this.abortAll();
    if (rid === null || rid.length === 0) return 0;
    if (this.options['tokenizer-worker-num'] === 1 && !this.byRid.has(rid)) return 0;
    const matched = [...this.byRid.values()].filter((r) => r.rid.startsWith(rid));
    for (const request of matched) this.abortOne(request);
    return matched.length;
  }

  /**
   * `abort` ends every request now (SGLang answers the pause once they have all returned);
   * `wait` lets running ones finish; `in_place`/`retract` freeze them. New requests wait in every mode.
   */
  pause(mode: PauseMode): void {
    this.paused = mode;
    if (mode === 'abort') this.abortAll();
    this.logger.log({ mode, running: this.running.size, waiting: this.waiting.length }, 'generation paused');
  }

  /** Resolves once no request is running (the waiting queue is held by the pause). */
  drained(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Queues one-shot faults for the next requests (tests only, `--enable-fault-injection`). */
  injectFaults(faults: RequestFault[]): void {
    this.pendingFaults.push(...faults);
  }

  clearFaults(): number {
    return this.pendingFaults.splice(0).length;
  }

  get isMemoryReleased(): boolean {
    return this.memoryReleased;
  }

  /**
   * SGLang's release: refused while any request is running or waiting (the scheduler asserts
   * that none is; pause with `abort` first). Without `--enable-memory-saver` it succeeds and
   * frees nothing, as SGLang's no-op saver adapter does. New requests wait until `resumeMemory`.
   */
  releaseMemory(): void {
    if (this.running.size > 0 || this.waiting.length > 0) {
      throw new EngineBusyError(
        `release_memory_occupation needs an idle engine: ${this.running.size} running and ${this.waiting.length} waiting requests (pause with mode abort first)`,
      );
    }
    if (!this.options['enable-memory-saver']) {
      this.logger.warn('release_memory_occupation without --enable-memory-saver: nothing is freed');
      return;
    }
    this.memoryReleased = true;
    this.logger.log('memory released');
  }

  /** vLLM's `/sleep` (mode abort): what runs is aborted, then the weights go. */
  sleep(): void {
    this.abortAll();
    this.memoryReleased = true;
    this.logger.log('sleeping');
  }

  resumeMemory(): void {
    if (!this.memoryReleased) return;
    this.memoryReleased = false;
    this.logger.log({ waiting: this.waiting.length }, 'memory resumed');
    this.wake();
  }

  resume(): void {
    const wasPaused = this.paused;
    this.paused = null;
    // Requests frozen in place lose no time: they step on the next iteration.
    if (wasPaused)
      this.logger.log({ running: this.running.size, waiting: this.waiting.length }, 'generation continued');
    this.wake();
  }

  /**
   * Sets the version stamped on tokens from now on; optionally aborts everything in flight first.
   * Requests that stay live remember the change: their final output carries `weight_versions`.
   */
  setWeightVersion(version: string, abortAllRequests: boolean): number {
    const aborted = abortAllRequests ? this.abortAll() : 0;
    if (version !== this.weightVersion) for (const request of this.byRid.values()) request.versionChanged = true;
    this.weightVersion = version;
    return aborted;
  }

  private abortAll(): number {
    const all = [...this.waiting, ...this.running];
    for (const request of all) this.abortOne(request);
    return all.length;
  }

  /**
   * SGLang's abort echoes: a running request ends with `"Aborted"` and no status; one still in the
   * waiting queue with `"Abort in waiting queue"` (older SGLang: `"Abort before prefill"`).
   */
  private abortOne(request: GenerationRequest): void {
    const waiting = this.waiting.includes(request);
    request.endedWaiting = waiting;
    const message = !waiting
      ? 'Aborted'
      : this.options['legacy-abort-message']
        ? 'Abort before prefill'
        : 'Abort in waiting queue';
    this.finish(request, { type: 'abort', message, status_code: null, err_type: null });
  }

  /** Prompt tokens covered by cached blocks, counted from the start (whole blocks). */
  private lookupPrefix(ids: readonly number[]): number {
    let hash = 0;
    let cached = 0;
    for (let block = 0; (block + 1) * PREFIX_BLOCK <= ids.length; block++) {
      hash = hashBlock(hash, ids, block * PREFIX_BLOCK);
      if (!this.prefixBlocks.has(hash)) break;
      cached = (block + 1) * PREFIX_BLOCK;
    }
    return cached;
  }

  /** Remembers every whole block of prompt + output (SGLang keeps finished requests in its radix cache). */
  private rememberPrefix(request: GenerationRequest): void {
    const ids = request.outputIds.length > 0 ? [...request.promptIds, ...request.outputIds] : request.promptIds;
    if (this.prefixBlocks.size + ids.length / PREFIX_BLOCK > PREFIX_CACHE_MAX_BLOCKS) this.prefixBlocks.clear();
    let hash = 0;
    for (let block = 0; (block + 1) * PREFIX_BLOCK <= ids.length; block++) {
      hash = hashBlock(hash, ids, block * PREFIX_BLOCK);
      this.prefixBlocks.add(hash);
    }
  }

  /**
   * Agent mode plans before submitting (encoding the family's answer is asynchronous): the
   * answer for this prompt, or null (another mode, or a prompt without tools: the mode's plan).
   */
  async planAhead(prompt: readonly number[]): Promise<AnswerPlan | null> {
    if (this.options.mode !== 'agent' || !this.model.speaker) return null;
    return planAgentAnswer(prompt, this.model.tokenizer, this.model.speaker);
  }

  private planFor(prompt: readonly number[], random: Random, contextHash: number): AnswerPlan {
    const { model } = this;
    // Agent mode answers a prompt it cannot read (no tools offered) as echo mode does.
    const echo = this.options.mode === 'echo' || this.options.mode === 'agent';
    if (echo && model.markers) {
      const { target, offset } = planEcho(prompt, model.markers);
      return new EchoPlan(target, offset, model.eosId);
    }
    if (echo) return new EchoPlan([...prompt], 0, model.eosId);
    const min = Math.min(this.options['min-output-tokens'], this.options['max-output-tokens']);
    const length = random.int(min, Math.max(min, this.options['max-output-tokens']));
    return new TextPlan(model.corpusIds, contextHash % model.corpusIds.length, length, model.eosId);
  }

  /**
   * The grammar hook: the constraint starts afresh with every request (the prompt never advances
   * it), as xgrammar's matcher does in both engines; the plan's own answer is kept when it matches.
   */
  private constrain(request: GenerationRequest, constraint: CompiledConstraint): void {
    const { model } = this;
    try {
      request.constrained = ConstrainedDecoding.create({
        constraint,
        intended: intendedText(
          (p) => request.plan.intendedAt(p),
          (id) => model.isEndOfGeneration(id),
          model.tokenizer,
        ),
        random: request.random,
        tokenizer: model.tokenizer,
        eosId: model.eosId,
      });
    } catch (err) {
      if (!(err instanceof ConstraintError)) throw err;
      request.rejection = { statusCode: 400, message: `Invalid grammar request: ${err.message}` };
    }
  }

  private wake(): void {
    if (this.scheduled) return;
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    this.scheduled = true;
    this.timer = delayMs <= 0 ? setImmediate(() => this.loop()) : setTimeout(() => this.loop(), delayMs);
  }

  private clearTimer(): void {
    if (this.timer) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
    }
    this.timer = null;
    this.scheduled = false;
  }

  private loop(): void {
    this.scheduled = false;
    this.timer = null;
    const now = performance.now();
    if (this.paused === null && !this.memoryReleased) this.admit(now);
    if (this.paused === 'in_place' || this.paused === 'retract') return; // frozen in place until resume()
    const decodeMs = this.options['decode-ms-per-token'];
    let nextAt = Infinity;
    for (const request of this.running) {
      const due = this.nextStepAt.get(request) ?? request.readyAt;
      if (due <= now + 0.05) {
        this.step(request);
        if (!request.finished) {
          this.nextStepAt.set(request, now + decodeMs);
          nextAt = Math.min(nextAt, now + decodeMs);
        }
      } else {
        nextAt = Math.min(nextAt, due);
      }
    }
    if (
      this.paused === null &&
      !this.memoryReleased &&
      this.waiting.length > 0 &&
      this.running.size < this.options['max-running']
    )
      nextAt = now;
    if (nextAt !== Infinity) this.schedule(nextAt - now);
  }

  private admit(now: number): void {
    const prefillUs = this.options['prefill-us-per-token'];
    while (this.waiting.length > 0 && this.running.size < this.options['max-running']) {
      const request = this.waiting.shift() as GenerationRequest;
      request.admittedAt = Date.now();
      // As SGLang's radix cache and vLLM's prefix caching: only tokens the cache does not hold are prefilled.
      request.readyAt = now + (prefillUs * (request.promptIds.length - request.cachedTokens)) / 1000;
      this.running.add(request);
      const requestError = request.fault?.requestError;
      if (request.rejection) this.finish(request, rejectionReason(request.rejection));
      else if (requestError && requestError.afterTokens === 0) this.finish(request, this.requestErrorReason(request));
      else if (request.params.maxNewTokens === 0) this.finish(request, { type: 'length', length: 0 });
    }
  }

  private step(request: GenerationRequest): void {
    const { model } = this;
    const { params } = request;
    const position = request.outputIds.length;
    const candidates = request.constrained
      ? request.constrained.candidates(request.contextHash, position)
      : candidatesAt(request.plan.intendedAt(position), model.alternativePool, request.contextHash, position);
    penalize(candidates, request);
    const sampled = sampleToken(candidates, params, request.random);
    request.constrained?.accept(sampled.id);
    this.lastOutputAt = performance.now();
    request.outputIds.push(sampled.id);
    request.outputLogprobs.push(sampled.logprob);
    request.outputVersions.push(this.weightVersion);
    if (request.topLogprobsWanted > 0)
      request.topLogprobs.push(sampled.distribution.slice(0, request.topLogprobsWanted));
    request.counts.set(sampled.id, (request.counts.get(sampled.id) ?? 0) + 1);
    const piece = request.decoder.push(sampled.id);
    request.text += piece;
    this.counters.tokensGenerated++;

    let reason: FinishReason | null = null;
    // A constrained output ends with its document: EOS is then the only token left, ignore_eos or not.
    const ends = model.isEndOfGeneration(sampled.id) && (!params.ignoreEos || request.constrained !== null);
    if (ends || params.stopTokenIds.includes(sampled.id)) {
      reason = { type: 'stop', matched: sampled.id };
    } else if (params.stop.length > 0) {
      const matched = findStopString(request.text, piece.length, params.stop);
      if (matched) {
        request.text = request.text.slice(0, matched.index);
        reason = { type: 'stop', matched: matched.stop };
      }
    }
    if (!reason && request.outputIds.length >= params.maxNewTokens) {
      reason = { type: 'length', length: params.maxNewTokens };
    }
    const requestError = request.fault?.requestError;
    if (requestError && request.outputIds.length >= requestError.afterTokens) reason = this.requestErrorReason(request);
    if (reason) {
      request.finishReason = reason;
      request.text += request.decoder.end();
    }
    request.listener.onToken?.(request, position);
    if (reason) this.detach(request, true);
  }

  /** SGLang's scheduler-side request error (`set_finish_with_abort`): an abort that carries a status. */
  private requestErrorReason(request: GenerationRequest): FinishReason {
    const { statusCode, message } = request.fault!.requestError!;
    return {
      type: 'abort',
      message,
      status_code: statusCode,
      err_type: statusCode < 500 ? 'BadRequestError' : 'InternalServerError',
    };
  }

  /** Ends a request that has not produced its final token (abort, or zero budget). */
  private finish(request: GenerationRequest, reason: FinishReason): void {
    if (request.finished) return;
    request.finishReason = reason;
    request.text += request.decoder.end();
    this.detach(request, true);
  }

  private detach(request: GenerationRequest, notify = false): void {
    this.running.delete(request);
    const index = this.waiting.indexOf(request);
    if (index >= 0) this.waiting.splice(index, 1);
    this.byRid.delete(request.rid);
    request.finishedAt = Date.now();
    this.lastOutputAt = performance.now();
    if (request.finishReason) this.counters.requestsFinished[request.finishReason.type]++;
    if (!request.endedWaiting) this.rememberPrefix(request);
    if (this.running.size === 0 && this.drainWaiters.length > 0)
      for (const resolve of this.drainWaiters.splice(0)) resolve();
    if (notify) request.listener.onFinish(request);
  }
}

/**
 * The penalties on tokens seen so far, as vLLM orders them: repetition (multiplicative: positive
 * logits divided, negative multiplied; vLLM counts the prompt too, SGLang only the output), then
 * frequency (per occurrence) and presence (once) subtracted. Neutral settings change nothing.
 */
function penalize(candidates: Candidate[], request: GenerationRequest): void {
  const { params, counts } = request;
  if (params.repetitionPenalty !== 1) {
    const penalty = params.repetitionPenalty;
    for (const candidate of candidates) {
      const seen =
        counts.has(candidate.id) || (params.repetitionPenaltyCountsPrompt && request.promptHas(candidate.id));
      if (seen) candidate.logit = candidate.logit > 0 ? candidate.logit / penalty : candidate.logit * penalty;
    }
  }
  if (params.frequencyPenalty !== 0) {
    for (const candidate of candidates) candidate.logit -= params.frequencyPenalty * (counts.get(candidate.id) ?? 0);
  }
  if (params.presencePenalty !== 0) {
    for (const candidate of candidates) if (counts.has(candidate.id)) candidate.logit -= params.presencePenalty;
  }
}

function rejectionReason(rejection: RequestRejection): FinishReason {
  return {
    type: 'abort',
    message: rejection.message,
    status_code: rejection.statusCode,
    err_type: rejection.statusCode < 500 ? 'BadRequestError' : 'InternalServerError',
  };
}

/** Finds a stop string that the newest piece of text completed. */
export function findStopString(
  text: string,
  pieceLength: number,
  stops: readonly string[],
): { index: number; stop: string } | null {
  let best: { index: number; stop: string } | null = null;
  for (const stop of stops) {
    if (stop.length === 0) continue;
    // Only a match that ends inside the new piece is new.
    const from = Math.max(0, text.length - pieceLength - stop.length + 1);
    const index = text.indexOf(stop, from);
    if (index >= 0 && (best === null || index < best.index)) best = { index, stop };
  }
  return best;
}

/** Folds one block of token ids into a running prefix hash (FNV-1a over 32-bit ids). */
function hashBlock(seed: number, ids: readonly number[], start: number): number {
  let hash = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = start; i < start + PREFIX_BLOCK; i++) hash = Math.imul(hash ^ ids[i], 0x01000193) >>> 0;
  return hash;
}
