import { Controller, Inject, Post, Put, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { abortOnClientClose, APP_OPTIONS, AppException, callerKeyOf, isJsonObject, SessionKey } from '@app/common';
import { AgentTurnRoute, ApiGenerate, type GenerateOutputDto } from '@app/contracts';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import { DataProxyModel } from '../tokenization/data-proxy-model.js';
import { parseGenerateRequest, type GenerateCall } from './generate-request.js';
import { answerText, generateOutput, refusedOutput } from './generate-response.js';
import { GenerateStream } from './generate-stream.js';
import { GenerateService, type GenerateResult } from './generate.service.js';

/**
 * SGLang's `/generate` (token in, token out) for trainers that tokenize for themselves. Auth is
 * as chat's: a session key (or the admin key, for the HITL session) records every answer in that
 * session; no key or an unknown one is served but not kept. Errors in SGLang's shape.
 */
@ApiTags('generate')
@Controller()
export class DataProxyGenerateController {
  constructor(
    private readonly generate: GenerateService,
    private readonly model: DataProxyModel,
    @Inject(APP_OPTIONS) private readonly options: DataProxyOptions,
  ) {}

  @Post('generate')
  @AgentTurnRoute(
    SessionKey({ optional: true }),
    ApiGenerate(),
    'SGLang /generate: input_ids or text (or batches of them), sampling_params (n too); the exact ids, log-probs and per-token versions are answered and recorded',
  )
  post(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.serve(request, reply);
  }

  @Put('generate')
  @AgentTurnRoute(SessionKey({ optional: true }), ApiGenerate(), 'SGLang /generate by PUT (SGLang takes both)')
  put(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.serve(request, reply);
  }

  private async serve(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { body } = request;
    const token = callerKeyOf(request);
    // A client that goes away cancels its generations (and the engine requests).
    const abort = abortOnClientClose(reply);
    const tokenizer = this.model.tokenizer;
    const streamed = isJsonObject(body) && body.stream === true;
    let call: GenerateCall;
    try {
      call = parseGenerateRequest(body, this.model.stopTokenIds, tokenizer.vocabSize);
    } catch (err) {
      // SGLang refuses a streamed request inside its 200 stream: one error event, then [DONE].
      if (!streamed || !(err instanceof AppException)) throw err;
      const stream = this.openStream(reply, false);
      stream.fail(0, err, null, '');
      return stream.end();
    }
    if (call.stream) {
      const stream = this.openStream(reply, call.listAnswer);
      try {
        await this.generate.run(call, token, abort.signal, request.id, stream);
      } catch (err) {
        if (abort.signal.aborted) return stream.abandon();
        throw err;
      }
      stream.end();
      return;
    }
    const results = await this.generate.run(call, token, abort.signal, request.id);
    if (abort.signal.aborted) return;
    const first = results[0];
    // A single request answers its failure as SGLang does: the status and SGLang's error body.
    if (!call.listAnswer && 'error' in first) throw first.error;
    const outputs = results.map((result) => this.output(result));
    void reply.status(200).send(call.listAnswer ? outputs : outputs[0]);
  }

  private openStream(reply: FastifyReply, indexed: boolean): GenerateStream {
    return new GenerateStream(
      reply,
      this.model.tokenizer,
      this.options['incremental-streaming-output'],
      indexed,
      () => this.generate.currentVersion,
    );
  }

  private output(result: GenerateResult): GenerateOutputDto {
    const version = this.generate.currentVersion;
    if ('error' in result) return refusedOutput(result.id, result.error, result.promptTokens, version);
    const { answer, finish } = result;
    const text = answerText(this.model.tokenizer, answer, finish);
    return generateOutput(this.model.tokenizer, answer, { text, from: 0, finish, currentVersion: version });
  }
}
