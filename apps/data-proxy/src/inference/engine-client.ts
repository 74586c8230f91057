// One unit over 300 lines: everything that speaks HTTP to one engine, so that the status and
// error mapping of every engine call (generation, control, abort, discovery) lives in one place.
import { Logger } from '@nestjs/common';
import { AppException, discardBody, ErrorCode, HttpClient, isJsonObject, readSseData } from '@app/common';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import {
  EngineProtocolError,
  EngineRequestError,
  type EngineBackend,
  type EngineCall,
  type SegmentFinish,
  type SegmentRequest,
  type SegmentResult,
  type SegmentTokens,
} from './engine-backend.js';
import type { GenerateInput } from './generation.js';
import { engineRequestJson } from './prompt-ids-json.js';
import { SglangBackend } from './sglang-backend.js';
import { VllmBackend, type VllmPauseApi } from './vllm-backend.js';

/** The reference's fixed context length, used while the engine has not said its own. */
export const FALLBACK_CONTEXT_LENGTH = 32768;
const CONTEXT_LENGTH_RETRY_MS = 5_000;

/**
 * HTTP to one inference engine (SGLang or vLLM, through its `EngineBackend`): generation
 * segments (plain or streamed, every answer validated), control calls, aborts, and what the engine
 * says about itself (context length, whether it can offload). Holds no generation state: the
 * resubmit loop, the pause gate and the weight versions are `InfBridgeService`'s.
 */
export class EngineClient {
  private readonly logger = new Logger(EngineClient.name);
  readonly addr: string;
  readonly backend: EngineBackend;
  /** The engine's context length from `/v1/models` (asked once, until it answers). */
  private contextLengthAnswer?: Promise<number | null>;
  /** The model the engine serves (its `/v1/models` id), once it has answered: the metrics' model label. */
  servedModel: string | null = null;
  /** When to ask again after the engine gave no answer. */
  private contextLengthRetryAt?: number;
  /** What the engine lacks for offloading to free memory, or null (asked once). */
  private memoryProblemCheck?: Promise<string | null>;

  constructor(
    addr: string,
    private readonly http: HttpClient,
    private readonly options: DataProxyOptions,
  ) {
    this.addr = addr.replace(/\/+$/, '');
    this.backend = createBackend(options['backend-type'], options['vllm-pause-api']);
  }

  /**
   * Prompt + completion tokens the engine accepts: its `max_model_len` from `/v1/models` (both
   * engines serve it; SGLang's model info lacks it), or the reference's fixed 32768 while the
   * engine has not said (asked again after a few seconds).
   */
  async contextLength(): Promise<number> {
    if (
      !this.contextLengthAnswer ||
      (this.contextLengthRetryAt !== undefined && Date.now() >= this.contextLengthRetryAt)
    ) {
      this.contextLengthRetryAt = undefined;
      this.contextLengthAnswer = this.askContextLength().then((length) => {
        // Not known yet (engine still loading, or down): the fallback serves for a while, then ask again.
        if (length === null) this.contextLengthRetryAt = Date.now() + CONTEXT_LENGTH_RETRY_MS;
        return length;
      });
    }
    return (await this.contextLengthAnswer) ?? FALLBACK_CONTEXT_LENGTH;
  }

  /** Readiness: the engine answers a call that neither generates nor waits behind a pause. */
  async reachable(): Promise<boolean> {
    try {
      return (await this.listModels()).status === 200;
    } catch {
      return false;
    }
  }

  /**
   * One engine request (a segment of a generation): its tokens go to `accept` as they arrive
   * (streamed) or at once; resolves with how it finished. Engine failures come out as the agent
   * should see them (`engineError`); a caller that went away is a 499.
   */
  async runSegment(
    request: SegmentRequest,
    accept: (tokens: SegmentTokens) => void,
    input: Pick<GenerateInput, 'signal' | 'requestId'>,
  ): Promise<SegmentFinish> {
    const url = `${this.addr}${this.backend.generatePath}`;
    const timeoutMs = this.options.ms['request-timeout'];
    // The prompt's bytes may be written around a shared run of ids text: held until this settles.
    const requestJson = engineRequestJson(this.backend.buildRequest(request), request.promptIds);
    const common = {
      method: 'POST' as const,
      url,
      headers: this.headers(false),
      body: requestJson.json,
      signal: input.signal,
      requestId: input.requestId,
      upstreamName: `engine ${this.addr}`,
    };
    const onAbort = (): void => this.abort(request.rid);
    input.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (!request.stream) {
        const response = await this.http.request({
          ...common,
          headersTimeoutMs: timeoutMs,
          bodyTimeoutMs: timeoutMs,
          maxResponseBytes: 256 * 1024 * 1024,
        });
        const body = this.parseAnswer(response.status, response.body.toString('utf8'));
        const result: SegmentResult = this.engineCall(() =>
          this.backend.parseResponse(body, request.sampling.topLogprobs),
        );
        accept(result);
        return result;
      }
      const response = await this.http.stream({ ...common, headersTimeoutMs: timeoutMs, bodyTimeoutMs: timeoutMs });
      if (response.status < 200 || response.status >= 300) {
        const text = await readAll(response.body);
        this.parseAnswer(response.status, text);
      }
      const parse = this.backend.createStreamParser(request.sampling.topLogprobs);
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
        throw this.engineError(err);
      }
      if (!finish)
        throw new AppException(
          502,
          ErrorCode.UPSTREAM_BAD_RESPONSE,
          `engine ${this.addr} ended the stream without a finish reason`,
        );
      return finish;
    } catch (err) {
      if (input.signal?.aborted)
        throw new AppException(499, ErrorCode.CLIENT_CLOSED_REQUEST, 'client closed the request');
      throw err;
    } finally {
      input.signal?.removeEventListener('abort', onAbort);
      requestJson.release();
    }
  }

  /** `GET /v1/models`: both engines serve it, it states `max_model_len`, and it never generates or waits behind a pause. */
  listModels(): ReturnType<HttpClient['request']> {
    return this.http.request({
      method: 'GET',
      url: `${this.addr}/v1/models`,
      headers: this.headers(false),
      timeoutMs: 5_000,
      maxResponseBytes: 1024 * 1024,
    });
  }

  private async askContextLength(): Promise<number | null> {
    try {
      const res = await this.listModels();
      const body = res.status === 200 ? (JSON.parse(res.body.toString('utf8')) as unknown) : null;
      const first = isJsonObject(body) && Array.isArray(body.data) ? (body.data[0] as unknown) : null;
      if (isJsonObject(first) && typeof first.id === 'string') this.servedModel = first.id.slice(0, 256);
      const length = isJsonObject(first) ? first.max_model_len : null;
      if (typeof length === 'number' && Number.isInteger(length) && length > 0) return length;
      this.logger.warn({ backend: this.addr, status: res.status }, 'engine /v1/models has no max_model_len');
    } catch (err) {
      this.logger.debug({ err, backend: this.addr }, 'engine /v1/models not reachable yet');
    }
    return null;
  }

  /** What the engine lacks for offloading to free memory, or null (asked once, until it answers). */
  memoryProblem(): Promise<string | null> {
    this.memoryProblemCheck ??= (async () => {
      const { call, lacks } = this.backend.memoryCheck();
      try {
        const res = await this.http.request({
          method: call.method,
          url: `${this.addr}${call.path}`,
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
        this.memoryProblemCheck = undefined; // unreachable: ask again next time
        throw err;
      }
    })();
    return this.memoryProblemCheck;
  }

  /** A control call; only the status counts (SGLang answers `null` or nothing, vLLM an empty body). */
  /** One control call; `requestId` (the trainer's request it serves) carries its trace to the engine. */
  async control(call: EngineCall, timeoutMs = 10_000, requestId?: string): Promise<void> {
    const response = await this.http.request({
      method: call.method,
      url: `${this.addr}${call.path}`,
      headers: this.headers(true),
      body: call.body,
      timeoutMs,
      requestId,
      upstreamName: `engine ${this.addr}`,
    });
    if (response.status < 200 || response.status >= 300) {
      throw new AppException(
        502,
        ErrorCode.UPSTREAM_BAD_RESPONSE,
        `engine ${this.addr}${call.path} answered HTTP ${response.status}: ${response.body.toString('utf8').slice(0, 300)}`,
      );
    }
  }

  /** Cancels one request on the engine (best effort: the caller has already gone). */
  abort(rid: string): void {
    const abort = this.backend.abortCall(rid);
    if (!abort) return;
    this.http
      .request({
        method: abort.method,
        url: `${this.addr}${abort.path}`,
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

  /**
   * A generation answer's JSON. An engine that refuses the request (4xx: prompt too long, bad
   * parameter) passes its status and message to the agent; anything else it fails with is a 502.
   */
  private parseAnswer(status: number, text: string): unknown {
    if (status < 200 || status >= 300) {
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: reported as text below
      }
      const error = isJsonObject(body) ? (isJsonObject(body.error) ? body.error : body) : null;
      const message = error && typeof error.message === 'string' ? error.message : text.slice(0, 500);
      throw this.engineError(new EngineRequestError(status, message));
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new AppException(502, ErrorCode.UPSTREAM_BAD_RESPONSE, `engine ${this.addr} answered with invalid JSON`);
    }
  }

  private engineCall<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw this.engineError(err);
    }
  }

  /** Engine-side failures as the agent sees them; anything else passes unchanged. */
  private engineError(err: unknown): unknown {
    if (err instanceof EngineProtocolError)
      return new AppException(502, ErrorCode.ENGINE_PROTOCOL, `engine ${this.addr}: ${err.message}`);
    if (err instanceof EngineRequestError) {
      // The engine refusing our key, or being overloaded, is not the agent's request at fault.
      const passes = err.status >= 400 && err.status < 500 && ![401, 403, 407, 408, 429].includes(err.status);
      return passes
        ? new AppException(err.status, ErrorCode.ENGINE_REQUEST_REJECTED, err.message)
        : new AppException(
            502,
            ErrorCode.UPSTREAM_BAD_RESPONSE,
            `engine ${this.addr} failed the request (${err.status}): ${err.message}`,
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
