import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { Body, Controller, HttpCode, Inject, Injectable, Logger, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AdminOnly, APP_OPTIONS, AppException, ErrorCode, HttpClient, readSseData, sendEventStream } from '@app/common';
import { normalizeMessages } from '../chat/chat-request.js';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import type { Session } from '../sessions/session.js';
import { SessionStore } from '../sessions/session-store.service.js';
import {
  DataProxyRegisterModelRequestDto,
  DataProxyRegisterModelResponseDto,
  UnregisterModelRequestDto,
  UnregisterModelResponseDto,
} from '@app/contracts';

export interface ExternalModel {
  name: string;
  /** Provider base URL; the proxy appends `/chat/completions`. */
  url: string;
  /** Model id sent to the provider; null strips `model` from the forwarded body. */
  model: string | null;
  apiKey: string | null;
}

/** Headers passed on to a provider: content negotiation only. Keys, cookies and hop-by-hop headers stay here. */
const FORWARDED_HEADERS = ['content-type', 'accept', 'accept-language', 'user-agent'];

/**
 * External model mode: chats for a registered model go to an OpenAI-compatible
 * provider through the shared pooled client, with the provider's key injected (the caller's key
 * never leaves), and are recorded in the session as messages-only interactions.
 */
@Injectable()
export class ExternalModelsService {
  private readonly logger = new Logger(ExternalModelsService.name);
  private readonly models = new Map<string, ExternalModel>();

  constructor(
    private readonly http: HttpClient,
    @Inject(APP_OPTIONS) private readonly options: DataProxyOptions,
    private readonly sessions: SessionStore,
  ) {}

  register(model: ExternalModel): void {
    this.models.set(model.name, model);
  }

  unregister(name: string): boolean {
    return this.models.delete(name);
  }

  /** The external model a chat targets, if `model` names one with a URL. */
  match(body: unknown): ExternalModel | null {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
    const name = (body as Record<string, unknown>).model;
    if (typeof name !== 'string') return null;
    const model = this.models.get(name);
    return model && model.url ? model : null;
  }

  /**
   * The agent APIs other than chat generate on the engine: a request naming an external model
   * there is refused (400) rather than silently answered by another model.
   */
  refuseExternal(body: unknown, api: string): void {
    const model = this.match(body);
    if (model)
      throw new AppException(
        400,
        ErrorCode.BAD_REQUEST,
        `${model.name} is an external model: it is served on /chat/completions only, not on ${api}`,
      );
  }

  async forward(
    model: ExternalModel,
    body: Record<string, unknown>,
    incoming: Record<string, string | string[] | undefined>,
    session: Session | undefined,
    reply: FastifyReply,
    signal: AbortSignal,
  ): Promise<void> {
    const forwarded: Record<string, unknown> = { ...body };
    if (model.model === null) delete forwarded.model;
    else forwarded.model = model.model;
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_HEADERS) {
      const value = incoming[name];
      if (typeof value === 'string') headers[name] = value;
    }
    headers['content-type'] = 'application/json';
    if (model.apiKey) headers.authorization = `Bearer ${model.apiKey}`;
    const url = `${model.url.replace(/\/+$/, '')}/chat/completions`;
    const upstream = {
      method: 'POST' as const,
      url,
      headers,
      body: JSON.stringify(forwarded),
      signal,
      upstreamName: `external model ${model.name}`,
    };
    const timeoutMs = this.options.ms['request-timeout'];
    const messages = normalizeMessages(body.messages) as unknown[];

    if (body.stream !== true) {
      const response = await this.http.request({ ...upstream, headersTimeoutMs: timeoutMs, bodyTimeoutMs: timeoutMs });
      const contentType =
        typeof response.headers['content-type'] === 'string' ? response.headers['content-type'] : 'application/json';
      if (response.status === 200 && session) {
        let message: Record<string, unknown> | null;
        try {
          const parsed = JSON.parse(response.body.toString('utf8')) as {
            choices?: { message?: Record<string, unknown> }[];
          };
          message = parsed.choices?.[0]?.message ?? null;
        } catch {
          message = null;
        }
        this.record(
          session,
          messages,
          message
            ? (normalizeMessages(message) as Record<string, unknown>)
            : { role: 'assistant', content: response.body.toString('utf8') },
        );
      }
      void reply.status(response.status).header('content-type', contentType).send(response.body);
      return;
    }

    const response = await this.http.stream({ ...upstream, headersTimeoutMs: timeoutMs, bodyTimeoutMs: timeoutMs });
    if (response.status !== 200) {
      // An error before any byte keeps its real status (the reference wrapped it in a 200 stream).
      let text = '';
      for await (const chunk of response.body) text += (chunk as Buffer).toString('utf8');
      void reply
        .status(response.status)
        .header('content-type', String(response.headers['content-type'] ?? 'application/json'))
        .send(text);
      return;
    }
    const out = sendEventStream(reply);
    let content = '';
    let completed = false;
    const tee = new PassThrough();
    response.body.on('data', (chunk: Buffer) => {
      out.write(chunk);
      tee.write(chunk);
    });
    response.body.once('end', () => tee.end());
    response.body.once('error', () => tee.end());
    try {
      for await (const data of readSseData(tee)) {
        if (data === '[DONE]') {
          completed = true;
          continue;
        }
        try {
          const event = JSON.parse(data) as { choices?: { delta?: { content?: string } }[] };
          content += event.choices?.[0]?.delta?.content ?? '';
        } catch {
          // not JSON: relayed as is, not recorded
        }
      }
    } catch (err) {
      this.logger.warn({ err, model: model.name }, 'external stream failed');
      out.write(
        `data: ${JSON.stringify({ error: { message: `external model stream failed: ${(err as Error).message}`, type: 'server_error' } })}\n\n`,
      );
    }
    out.end();
    if (completed && session) this.record(session, messages, { role: 'assistant', content });
  }

  private record(session: Session, messages: unknown[], answer: Record<string, unknown>): void {
    const parent = session.active.findParent(messages);
    this.sessions.record(session, {
      id: randomUUID(),
      kind: 'string',
      messages,
      chatTemplateType: 'hf',
      parentId: parent?.id ?? null,
      promptIds: new Int32Array(0),
      outputIds: new Int32Array(0),
      outputLogprobs: new Float32Array(0),
      outputVersions: new Int32Array(0),
      stopReason: 'stop',
      outputMessages: [answer],
      reward: null,
      createdAt: Date.now(),
    });
  }
}

@ApiTags('external models')
@Controller()
export class ExternalModelsController {
  constructor(private readonly external: ExternalModelsService) {}

  @Post('register_model')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Register an OpenAI-compatible provider for a model name (admin key)' })
  @ApiBody({ type: DataProxyRegisterModelRequestDto })
  @ApiOkResponse({ type: DataProxyRegisterModelResponseDto })
  register(@Body() body: DataProxyRegisterModelRequestDto): DataProxyRegisterModelResponseDto {
    const name = body.name || body.model;
    if (!name) throw new AppException(400, ErrorCode.BAD_REQUEST, 'model name is required');
    this.external.register({ name, url: body.url ?? '', model: body.model ?? name, apiKey: body.api_key ?? null });
    return { status: 'ok', name };
  }

  @Post('unregister_model')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Forget a registered model (the gateway rolls back a failed registration)' })
  @ApiBody({ type: UnregisterModelRequestDto })
  @ApiOkResponse({ type: UnregisterModelResponseDto })
  unregister(@Body() body: UnregisterModelRequestDto): UnregisterModelResponseDto {
    return { status: 'ok', removed: this.external.unregister(body.name) };
  }
}
