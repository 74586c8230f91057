import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AppException, ErrorCode } from '@app/common';
import type { EngineSimOptions } from '../config/engine-sim-options.js';
import type { SubmitInput } from '../engine/engine.service.js';
import { GenerationEndpoint } from '../engine/generation-endpoint.js';
import type { GenerationRequest } from '../engine/generation-request.js';
import { checkContextLength } from '../engine/limits.js';
import { generateForClient } from '../engine/sse.js';
import { vllmFinish, vllmLogprobs, type VllmCompletionRequest } from './vllm-protocol.js';

/** vLLM's `finish_reason: "error"` becomes this failure (non-streaming 500; an error chunk when streaming). */
const VLLM_INTERNAL_ERROR = { message: 'Internal server error', type: 'InternalServerError', param: null, code: 500 };

/** vLLM's body for a request it refuses while generating (a structured-output constraint that does not compile). */
function badRequestBody(message: string) {
  return { error: { message, type: 'BadRequestError', param: null, code: 400 } };
}

/**
 * One `/v1/completions` request from checks to answer, in vLLM's shapes: the completion whole (with
 * usage) or as delta chunks (a usage chunk with `include_usage`). A constraint that does not compile
 * fails where vLLM's engine fails it, after the request is accepted: a 400 when not streaming, an
 * error chunk in a 200 stream.
 */
@Injectable()
export class VllmCompletionService extends GenerationEndpoint {
  async serve(request: VllmCompletionRequest, promptIds: number[], reply: FastifyReply): Promise<void> {
    checkContextLength(promptIds.length, request.params.maxNewTokens, this.options['context-length']);
    const { constraint, invalid: refusal } = request.constraint
      ? this.compileConstraint(request.constraint)
      : { constraint: null, invalid: null };
    const input: Omit<SubmitInput, 'listener'> = {
      promptIds,
      params: request.params,
      topLogprobs: request.logprobs ?? 0,
      constraint,
      plan: await this.engine.planAhead(promptIds),
    };
    const response = new CompletionShapes(promptIds, this.options);
    if (request.stream) return this.stream(request, input, response, refusal, reply);
    if (refusal)
      throw new AppException(400, ErrorCode.BAD_REQUEST, refusal, { body: badRequestBody(refusal), omitCode: true });
    return this.whole(request, input, response, reply);
  }

  private async whole(
    request: VllmCompletionRequest,
    input: Omit<SubmitInput, 'listener'>,
    response: CompletionShapes,
    reply: FastifyReply,
  ): Promise<void> {
    const g = await generateForClient(this.engine, reply, input);
    if (!g) return;
    const refused = refusalOf(g);
    if (refused) {
      void reply.status(400).send(badRequestBody(refused));
      return;
    }
    if (vllmFinish(g).finish_reason === 'error') {
      void reply.status(500).send({ error: VLLM_INTERNAL_ERROR });
      return;
    }
    const tokenizer = this.engine.model.tokenizer;
    const choice = {
      index: 0,
      text: g.text,
      logprobs:
        request.logprobs === null ? null : vllmLogprobs(g, tokenizer, 0, g.outputIds.length, request.tokensAsIds, 0),
      ...vllmFinish(g),
      prompt_logprobs: null,
    };
    void reply.status(200).send({ ...response.base, choices: [choice], usage: response.usage(g) });
  }

  private stream(
    request: VllmCompletionRequest,
    input: Omit<SubmitInput, 'listener'>,
    response: CompletionShapes,
    refusal: string | null,
    reply: FastifyReply,
  ): void {
    const tokenizer = this.engine.model.tokenizer;
    this.streamGeneration(reply, input, {
      refusal: refusal ? badRequestBody(refusal) : null,
      event: (g, sent) => {
        const refused = g.finished ? refusalOf(g) : null;
        if (refused) return badRequestBody(refused);
        if (g.finished && vllmFinish(g).finish_reason === 'error') return { error: VLLM_INTERNAL_ERROR };
        const choice = {
          index: 0,
          text: g.text.slice(sent.text),
          logprobs:
            request.logprobs === null
              ? null
              : vllmLogprobs(g, tokenizer, sent.tokens, g.outputIds.length, request.tokensAsIds, sent.text),
          ...vllmFinish(g),
        };
        return { ...response.base, choices: [choice] };
      },
      closing: (g) =>
        request.includeUsage && !refusalOf(g) ? { ...response.base, choices: [], usage: response.usage(g) } : null,
    });
  }
}

/** The message of an engine-side refusal (an abort that carries a status), or null. */
function refusalOf(g: GenerationRequest): string | null {
  const reason = g.finishReason;
  return reason?.type === 'abort' && typeof reason.status_code === 'number' ? reason.message : null;
}

/** The parts every completion answer and chunk share: id, timestamps, model, usage. */
class CompletionShapes {
  readonly base: { id: string; object: string; created: number; model: string };

  constructor(
    private readonly promptIds: number[],
    private readonly options: EngineSimOptions,
  ) {
    this.base = {
      id: `cmpl-${randomUUID().replace(/-/g, '')}`,
      object: 'text_completion',
      created: Math.floor(Date.now() / 1000),
      model: options['served-model-name'],
    };
  }

  usage(g: GenerationRequest) {
    const prompt = this.promptIds.length;
    return {
      prompt_tokens: prompt,
      total_tokens: prompt + g.outputIds.length,
      completion_tokens: g.outputIds.length,
      // Only a server started with --enable-prompt-tokens-details reports cache hits.
      ...(this.options['enable-prompt-tokens-details']
        ? { prompt_tokens_details: { cached_tokens: g.cachedTokens } }
        : {}),
    };
  }
}
