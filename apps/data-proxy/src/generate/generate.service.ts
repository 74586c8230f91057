import { Injectable, Logger } from '@nestjs/common';
import { AppException, ErrorCode } from '@app/common';
import { badRequest } from '../chat/request-surface.js';
import { ChatService } from '../chat/chat.service.js';
import type { TopLogprob } from '../inference/engine-backend.js';
import { InfBridgeService } from '../inference/inf-bridge.service.js';
import { SessionStore } from '../sessions/session-store.service.js';
import { DataProxyModel } from '../tokenization/data-proxy-model.js';
import { isRefused, type GenerateCall, type GenerateElement } from './generate-request.js';
import { finishOf, generatedId, newAnswer, type GenerateAnswer, type GenerateFinish } from './generate-response.js';
import type { GenerateSink } from './generate-stream.js';

/** One answer of a call: generated (and recorded), or failed with the status that says why (nothing recorded). */
export type GenerateResult =
  | { answer: GenerateAnswer; finish: GenerateFinish }
  | { error: AppException; id: string; promptTokens: number | undefined };

/**
 * SGLang's `/generate` on the turn pipeline: every prompt (and each of its `n` samples) goes
 * through `ChatService` as a raw token prompt — session, seeds, InfBridge with pause / resubmit
 * and per-token versions, recording, parent matching by tokens — and comes back as the engine's
 * exact tokens. Answers keep their order; in a list answer an element that is refused or fails
 * does so alone.
 */
@Injectable()
export class GenerateService {
  private readonly logger = new Logger(GenerateService.name);
  /** Caller-given answer ids being generated now: SGLang refuses a duplicate request id while it runs. */
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly chat: ChatService,
    private readonly model: DataProxyModel,
    private readonly bridge: InfBridgeService,
    private readonly sessions: SessionStore,
  ) {}

  /** The version stamped on tokens dispatched now. */
  get currentVersion(): number {
    return this.bridge.version;
  }

  /** Every answer of `call`, in order; `sink` (a stream) hears of each as it grows. */
  async run(
    call: GenerateCall,
    token: string | null,
    signal: AbortSignal,
    requestId: string,
    sink?: GenerateSink,
  ): Promise<GenerateResult[]> {
    const runs: Promise<GenerateResult[]>[] = [];
    let index = 0;
    for (const element of call.elements) {
      const first = index;
      index += element.ids.length;
      if (isRefused(element)) {
        runs.push(
          Promise.resolve(element.ids.map((id, j) => this.refuse(first + j, id, element.error, undefined, sink))),
        );
        continue;
      }
      runs.push(this.runElement(element, first, token, signal, requestId, sink));
    }
    return (await Promise.all(runs)).flat();
  }

  /** One prompt: tokenized and checked once, then its samples side by side. */
  private async runElement(
    element: GenerateElement,
    first: number,
    token: string | null,
    signal: AbortSignal,
    requestId: string,
    sink: GenerateSink | undefined,
  ): Promise<GenerateResult[]> {
    let promptIds: number[];
    try {
      promptIds = await this.promptOf(element);
    } catch (err) {
      if (!(err instanceof AppException)) throw err;
      return element.ids.map((id, j) => this.refuse(first + j, id, err, undefined, sink));
    }
    return Promise.all(
      element.ids.map((id, j) => this.runSample(element, promptIds, id, first + j, token, signal, requestId, sink)),
    );
  }

  /**
   * The prompt's token ids, refused as SGLang's tokenizer refuses them: empty, or too long for the
   * context with its `max_new_tokens` (SGLang's messages). Prompt log-probs are not served.
   */
  private async promptOf(element: GenerateElement): Promise<number[]> {
    const ids = 'ids' in element.prompt ? element.prompt.ids : await this.model.encodeRawPrompt(element.prompt.text);
    if (ids.length === 0) throw badRequest('The input is empty: the text has no tokens');
    const context = await this.bridge.contextLength();
    const maxNewTokens = element.options.maxNewTokens;
    if (ids.length >= context)
      throw badRequest(
        `The input (${ids.length} tokens) is longer than the model's context length (${context} tokens).`,
      );
    if (ids.length + maxNewTokens > context)
      throw badRequest(
        `Requested token count exceeds the model's maximum context length of ${context} tokens. You requested a total of ${ids.length + maxNewTokens} tokens: ${ids.length} tokens from the input messages and ${maxNewTokens} tokens for the completion. Please reduce the number of tokens in the input messages or the completion to fit within the limit.`,
      );
    const start = element.options.logprobStartLen;
    if (start !== -1 && start < ids.length)
      throw badRequest(
        `logprob_start_len ${start} asks for prompt log-probs, which this server does not return: send -1 (output log-probs only)`,
      );
    return ids;
  }

  private async runSample(
    element: GenerateElement,
    promptIds: number[],
    rid: string | null,
    index: number,
    token: string | null,
    signal: AbortSignal,
    requestId: string,
    sink: GenerateSink | undefined,
  ): Promise<GenerateResult> {
    let answer: GenerateAnswer | null = null;
    let claimed = false;
    try {
      if (rid !== null) claimed = this.claim(rid, token);
      const prepared = await this.chat.prepare({ ...element.chat, rawPrompt: { ids: promptIds } }, token, 'generate');
      // The caller's rid is the answer's id and the interaction's (rewards name it).
      if (rid !== null) prepared.meta.id = rid;
      const stops = element.options.noStopTrim
        ? { ids: new Set<number>(), hold: 0 }
        : {
            ids: new Set(prepared.sampling.stopTokenIds),
            hold: prepared.sampling.stop.reduce((max, s) => Math.max(max, s.length), 0),
          };
      const growing = newAnswer(prepared.meta.id, element.options, promptIds, stops);
      answer = growing;
      const onTokens =
        sink &&
        ((
          tokens: readonly number[],
          logprobs: readonly number[],
          versions: readonly number[],
          tops?: readonly (readonly TopLogprob[])[] | null,
        ) => {
          growing.tokens.push(...tokens);
          growing.logprobs.push(...logprobs);
          growing.versions.push(...versions);
          if (tops) growing.tops.push(...tops);
          sink.progress(index, growing);
        });
      const outcome = await this.chat.generateTokens(prepared, signal, requestId, onTokens);
      // The outcome is what was recorded: the answer is exactly it.
      growing.tokens = outcome.outputTokens;
      growing.logprobs = outcome.outputLogprobs;
      growing.versions = outcome.outputVersions;
      growing.tops = outcome.outputTopLogprobs ?? growing.tops;
      growing.cachedTokens = outcome.cachedTokens ?? 0;
      const finish = finishOf(outcome.stop, outcome.matchedStop, outcome.outputTokens);
      sink?.finish(index, growing, finish);
      return { answer: growing, finish };
    } catch (err) {
      if (signal.aborted) throw err;
      const error = err instanceof AppException ? err : this.internal(err, requestId);
      const id = answer?.id ?? rid ?? generatedId();
      sink?.fail(index, error, answer, id);
      return { error, id, promptTokens: promptIds.length };
    } finally {
      if (claimed && rid !== null) this.inFlight.delete(rid);
    }
  }

  /** A caller-given id may name one answer only: not one running now, nor one the session recorded. */
  private claim(rid: string, token: string | null): true {
    if (this.inFlight.has(rid) || this.sessions.peek(token)?.findInteraction(rid))
      throw badRequest(`Duplicate request ID: ${rid}`);
    this.inFlight.add(rid);
    return true;
  }

  private refuse(
    index: number,
    rid: string | null,
    error: AppException,
    promptTokens: number | undefined,
    sink: GenerateSink | undefined,
  ): GenerateResult {
    const id = rid ?? generatedId();
    sink?.fail(index, error, null, id);
    return { error, id, promptTokens };
  }

  /** A failure that is not the caller's: logged here, answered without internals. */
  private internal(err: unknown, requestId: string): AppException {
    this.logger.error({ err, requestId }, 'generate failed');
    return new AppException(500, ErrorCode.INTERNAL, 'Internal server error');
  }
}
