import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, HttpCode, Inject, Post, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { APP_OPTIONS, AppException, ErrorCode } from '@app/common';
import type { EngineSimOptions } from '../config/engine-sim-options.js';
import { EngineService } from '../engine/engine.service.js';
import type { GenerationRequest } from '../engine/generation-request.js';
import { checkContextLength } from '../engine/limits.js';
import { badRequest } from '../engine/request-fields.js';
import { endEventStream, generateForClient, openEventStream, writeEvent } from '../engine/sse.js';
import { parseVllmCompletion, vllmFinish, vllmLogprobs } from './vllm-protocol.js';

/**
 * vLLM's OpenAI-compatible `/v1/completions` with token-id prompts, plus the pause/continue
 * endpoints AReaL's vLLM server extension adds (`/areal_pause_generation`, `/areal_continue_generation`).
 */
@ApiTags('vllm')
@Controller()
export class VllmController {
  private readonly created = Math.floor(Date.now() / 1000);

  constructor(
    private readonly engine: EngineService,
    @Inject(APP_OPTIONS) private readonly options: EngineSimOptions,
  ) {}

  @Post('v1/completions')
  @ApiOperation({ summary: 'OpenAI completions with a token-id (or text) prompt; logprobs and streaming' })
  @ApiBody({
    schema: {
      type: 'object',
      example: { prompt: [151644, 872, 198], max_tokens: 16, logprobs: 0, return_tokens_as_token_ids: true },
    },
  })
  async completions(@Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    const tokenizer = this.engine.model.tokenizer;
    const request = parseVllmCompletion(body, (id) => tokenizer.isValidId(id));
    const served = this.options['served-model-name'];
    if (request.model !== undefined && request.model !== served) {
      throw new AppException(404, ErrorCode.NOT_FOUND, `The model \`${request.model}\` does not exist.`);
    }
    const promptIds = request.promptIds ?? (await tokenizer.encode(request.promptText ?? ''));
    if (promptIds.length === 0) throw badRequest('The prompt is empty');
    checkContextLength(promptIds.length, request.params.maxNewTokens, this.options['context-length']);
    const id = `cmpl-${randomUUID().replace(/-/g, '')}`;
    const created = Math.floor(Date.now() / 1000);
    const base = { id, object: 'text_completion', created, model: served };
    const topLogprobs = request.logprobs ?? 0;
    const usage = (g: GenerationRequest) => ({
      prompt_tokens: promptIds.length,
      total_tokens: promptIds.length + g.outputIds.length,
      completion_tokens: g.outputIds.length,
    });

    if (request.stream) {
      let generation: GenerationRequest | null = null;
      const stream = openEventStream(reply, () => generation && this.engine.cancel(generation));
      let sentTokens = 0;
      let sentText = 0;
      let lastHadFinish = false;
      const emit = (g: GenerationRequest): void => {
        const choice = {
          index: 0,
          text: g.text.slice(sentText),
          logprobs:
            request.logprobs === null
              ? null
              : vllmLogprobs(g, tokenizer, sentTokens, g.outputIds.length, request.tokensAsIds, sentText),
          ...vllmFinish(g),
        };
        writeEvent(stream, { ...base, choices: [choice] });
        sentTokens = g.outputIds.length;
        sentText = g.text.length;
        lastHadFinish = g.finished;
      };
      generation = this.engine.submit({
        promptIds,
        params: request.params,
        topLogprobs,
        listener: {
          onToken: (g) => emit(g),
          onFinish: (g) => {
            if (!lastHadFinish) emit(g);
            if (request.includeUsage) writeEvent(stream, { ...base, choices: [], usage: usage(g) });
            endEventStream(stream);
          },
        },
      });
      return;
    }

    const g = await generateForClient(this.engine, reply, { promptIds, params: request.params, topLogprobs });
    if (!g) return;
    const choice = {
      index: 0,
      text: g.text,
      logprobs:
        request.logprobs === null ? null : vllmLogprobs(g, tokenizer, 0, g.outputIds.length, request.tokensAsIds, 0),
      ...vllmFinish(g),
      prompt_logprobs: null,
    };
    void reply.status(200).send({ ...base, choices: [choice], usage: usage(g) });
  }

  @Get('v1/models')
  models(): Record<string, unknown> {
    const name = this.options['served-model-name'];
    return {
      object: 'list',
      data: [
        {
          id: name,
          object: 'model',
          created: this.created,
          owned_by: 'engine-sim',
          root: name,
          parent: null,
          max_model_len: this.options['context-length'],
        },
      ],
    };
  }

  @Post('sleep')
  @HttpCode(200)
  @ApiOperation({ summary: "vLLM's sleep mode: offload weights and KV cache (running requests abort, new ones wait)" })
  sleep(@Res() reply: FastifyReply): void {
    this.engine.releaseMemory();
    // vLLM answers sleep and wake_up with an empty 200.
    void reply.status(200).send('');
  }

  @Post('wake_up')
  @HttpCode(200)
  @ApiOperation({ summary: "vLLM's wake_up (`?tags=weights&tags=kv_cache` accepted)" })
  wakeUp(@Res() reply: FastifyReply): void {
    this.engine.resumeMemory();
    void reply.status(200).send('');
  }

  @Post('areal_pause_generation')
  @HttpCode(200)
  @ApiOperation({ summary: "AReaL's vLLM extension: abort everything in flight and hold new requests until continue" })
  pause(): { success: boolean; message: string } {
    this.engine.pause('abort');
    return { success: true, message: 'Generation paused and all requests aborted' };
  }

  @Post('areal_continue_generation')
  @HttpCode(200)
  continue(): { success: boolean; message: string } {
    this.engine.resume();
    return { success: true, message: 'Generation continued' };
  }
}
