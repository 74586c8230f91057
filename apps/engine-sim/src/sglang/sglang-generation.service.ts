import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AppException, ErrorCode } from '@app/common';
import type { CompiledConstraint } from '../engine/constraints/constraint.js';
import type { SubmitInput } from '../engine/engine.service.js';
import { GenerationEndpoint } from '../engine/generation-endpoint.js';
import type { RequestRejection } from '../engine/generation-request.js';
import { contextLengthError } from '../engine/limits.js';
import { generateForClient } from '../engine/sse.js';
import { toSglangOutput, type SglangGenerateRequest } from './sglang-protocol.js';

/**
 * One `/generate` request from checks to answer, in SGLang's shapes: tokenizer-side errors (a
 * prompt that does not fit, several grammars) as a 400 or one error chunk in a 200 stream;
 * scheduler-side errors (an invalid grammar) as an abort that carries a status; the output whole,
 * or streamed cumulatively (or incrementally with `--incremental-streaming-output`).
 */
@Injectable()
export class SglangGenerationService extends GenerationEndpoint {
  async serve(request: SglangGenerateRequest, promptIds: number[], reply: FastifyReply): Promise<void> {
    const tokenizerError =
      request.valueError ??
      contextLengthError(promptIds.length, request.params.maxNewTokens, this.options['context-length']);
    // An invalid grammar is found by the scheduler, after queueing: an abort with status 400.
    let constraint: CompiledConstraint | null = null;
    let rejection: RequestRejection | null = null;
    if (request.constraint && !tokenizerError) {
      const compiled = this.compileConstraint(request.constraint);
      constraint = compiled.constraint;
      if (compiled.invalid !== null)
        rejection = { statusCode: 400, message: `Invalid grammar request: ${compiled.invalid}` };
    }
    const input: Omit<SubmitInput, 'listener'> = {
      rid: request.rid,
      promptIds,
      params: request.params,
      topLogprobs: request.returnLogprob ? request.topLogprobsNum : 0,
      constraint,
      rejection,
      plan: tokenizerError ? null : await this.engine.planAhead(promptIds),
    };
    if (request.stream) return this.stream(request, input, tokenizerError, reply);
    if (tokenizerError) throw sglangError(400, tokenizerError);
    const g = await generateForClient(this.engine, reply, input);
    if (!g) return;
    const reason = g.finishReason;
    // A request error (an abort with a status) is an HTTP error when not streaming.
    if (reason?.type === 'abort' && typeof reason.status_code === 'number')
      throw sglangError(reason.status_code, reason.message);
    void reply.status(200).send(toSglangOutput(g, this.outputOptions(request, g.text, 0)));
  }

  private stream(
    request: SglangGenerateRequest,
    input: Omit<SubmitInput, 'listener'>,
    tokenizerError: string | null,
    reply: FastifyReply,
  ): void {
    const incremental = this.options['incremental-streaming-output'];
    this.streamGeneration(reply, input, {
      refusal: tokenizerError
        ? { error: { message: tokenizerError, type: 'invalid_request_error', code: 400, retryable: false } }
        : null,
      event: (g, sent) => {
        const text = incremental ? g.text.slice(sent.text) : g.text;
        return toSglangOutput(g, this.outputOptions(request, text, incremental ? sent.tokens : 0));
      },
      over: (g) => this.abortLater(g.rid),
    });
  }

  private outputOptions(request: SglangGenerateRequest, text: string, fromToken: number) {
    return {
      returnLogprob: request.returnLogprob,
      topLogprobsNum: request.returnLogprob ? request.topLogprobsNum : 0,
      weightVersion: this.engine.weightVersion,
      fromToken,
      text,
    };
  }

  /**
   * SGLang aborts a stream's rid in the background 2 s after the stream ends or its client goes
   * (a no-op for a finished rid unless aborts are forwarded by several tokenizer workers).
   */
  private abortLater(rid: string): void {
    const delayMs = this.options.ms['stream-abort-delay'];
    setTimeout(() => this.engine.abort(rid, false), delayMs).unref();
  }
}

/** SGLang's error body for tokenizer-side and request errors: `{"error": {"message": ...}}` (503/500: its `object: error` shape). */
export function sglangError(status: number, message: string): AppException {
  const body =
    status >= 500
      ? { object: 'error', message, type: String(status), param: null, code: status }
      : { error: { message } };
  return new AppException(status, ErrorCode.BAD_REQUEST, message, { body, omitCode: true });
}
