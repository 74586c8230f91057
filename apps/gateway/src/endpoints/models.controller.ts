import { Body, Controller, Get, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AdminOnly, APP_OPTIONS, constantTimeEquals, ErrorCode, HttpClient } from '@app/common';
import type { GatewayOptions } from '../config/gateway-options.js';
import { readJson } from '../proxy/forwarder.service.js';
import { gatewayError, transportError } from '../proxy/gateway-error.js';
import { RouterClient } from '../router-client/router-client.service.js';
import { isObject, requireBearer } from './bearer.js';

interface ModelEntry {
  model: string;
  url: string;
  api_key: string | null;
  data_proxy_addrs: string[];
}

/** Models (router + every data proxy), the OpenAI model list, capacity permits. */
@ApiTags('models')
@Controller()
export class ModelsController {
  constructor(
    private readonly router: RouterClient,
    private readonly http: HttpClient,
    @Inject(APP_OPTIONS) private readonly options: GatewayOptions,
  ) {}

  @Post('register_model')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({
    summary:
      'Register a model in the router, then on its data proxies in parallel; if any proxy fails, what this call registered is rolled back and the previous registration restored',
  })
  async register(@Body() body: unknown, @Req() request: FastifyRequest): Promise<Record<string, unknown>> {
    const { valid, value } = readJson(body);
    if (!valid) throw gatewayError(400, ErrorCode.MALFORMED_JSON, 'Invalid JSON body');
    if (!isObject(value) || typeof value.model !== 'string' || value.model.length === 0)
      throw gatewayError(400, ErrorCode.BAD_REQUEST, 'model is required');
    if (
      value.data_proxy_addrs !== undefined &&
      value.data_proxy_addrs !== null &&
      (!Array.isArray(value.data_proxy_addrs) || value.data_proxy_addrs.some((a) => typeof a !== 'string'))
    ) {
      throw gatewayError(400, ErrorCode.BAD_REQUEST, 'data_proxy_addrs must be a list of addresses');
    }
    const entry: ModelEntry = {
      model: value.model,
      url: typeof value.url === 'string' ? value.url : '',
      api_key: typeof value.api_key === 'string' ? value.api_key : null,
      data_proxy_addrs: (value.data_proxy_addrs as string[] | undefined) ?? [],
    };
    const previous = await this.previousEntry(entry.model, request.id);
    const registered = await this.router.raw('POST', '/register_model', entry, request.id);
    if (registered.status === 503) throw gatewayError(503, ErrorCode.NO_HEALTHY_WORKERS, 'No healthy workers');
    if (registered.status !== 200 || !isObject(registered.json)) {
      throw gatewayError(
        registered.status === 422 ? 400 : 502,
        registered.status === 422 ? ErrorCode.BAD_REQUEST : ErrorCode.UPSTREAM_BAD_RESPONSE,
        `Router refused the model: HTTP ${registered.status}`,
      );
    }
    const addrs = Array.isArray(registered.json.data_proxy_addrs)
      ? (registered.json.data_proxy_addrs as string[])
      : entry.data_proxy_addrs;
    const results = await Promise.all(addrs.map((addr) => this.registerOnProxy(addr, entry, request.id)));
    const failed = results.filter((r) => !r.ok);
    if (failed.length === 0) return registered.json;
    // Roll back exactly what this call did: proxies that took the new entry get the previous one
    // back (or lose the model), and the router entry is restored (or removed).
    await Promise.all(
      results
        .filter((r) => r.ok)
        .map((r) =>
          previous
            ? this.registerOnProxy(r.addr, previous, request.id)
            : this.unregisterOnProxy(r.addr, entry.model, request.id),
        ),
    );
    if (previous) await this.router.raw('POST', '/register_model', previous, request.id).catch(() => undefined);
    else await this.router.raw('POST', '/remove_model', { name: entry.model }, request.id).catch(() => undefined);
    throw gatewayError(502, ErrorCode.UPSTREAM_UNAVAILABLE, 'Data proxy registration failed', {
      details: failed.map((r) => `${r.addr}: ${r.error}`),
      results,
    });
  }

  @Get('models')
  @AdminOnly()
  @ApiOperation({ summary: "The router's model names (the reference's shape)" })
  async models(@Req() request: FastifyRequest): Promise<Record<string, unknown>> {
    const response = await this.router.raw('GET', '/models', undefined, request.id);
    if (response.status !== 200 || !isObject(response.json))
      throw gatewayError(502, ErrorCode.UPSTREAM_BAD_RESPONSE, `Router returned HTTP ${response.status}`);
    return response.json;
  }

  @Get('v1/models')
  @ApiOperation({ summary: 'OpenAI-compatible model list; readable with the admin key or any live session key' })
  async openAiModels(@Req() request: FastifyRequest): Promise<Record<string, unknown>> {
    const token = requireBearer(request);
    if (!constantTimeEquals(token, this.options['admin-api-key'])) {
      // Any key the router knows may list models (OpenAI SDKs call this with the session key).
      await this.router.route({ api_key: token, path: '/v1/models' }, request.id);
    }
    const response = await this.router.raw('GET', '/models', undefined, request.id);
    const names =
      isObject(response.json) && Array.isArray(response.json.models) ? (response.json.models as string[]) : [];
    return {
      object: 'list',
      data: names.map((id) => ({ id, object: 'model', created: 0, owned_by: 'rollout-inference-service' })),
    };
  }

  @Post('grant_capacity')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Grant one staleness permit in the router' })
  async grant(@Req() request: FastifyRequest): Promise<Record<string, unknown>> {
    const response = await this.router.raw('POST', '/grant_capacity', undefined, request.id);
    if (response.status !== 200 || !isObject(response.json))
      throw gatewayError(
        502,
        ErrorCode.UPSTREAM_BAD_RESPONSE,
        `Failed to grant capacity in router: HTTP ${response.status}`,
      );
    return response.json;
  }

  private async previousEntry(name: string, requestId: string): Promise<ModelEntry | null> {
    const response = await this.router.raw('GET', `/models/${encodeURIComponent(name)}`, undefined, requestId);
    return response.status === 200 && isObject(response.json) ? (response.json as unknown as ModelEntry) : null;
  }

  private async registerOnProxy(
    addr: string,
    entry: ModelEntry,
    requestId: string,
  ): Promise<{ addr: string; ok: boolean; status: number; error: string | null }> {
    return this.proxyCall(
      addr,
      '/register_model',
      { name: entry.model, url: entry.url, model: entry.model, api_key: entry.api_key },
      requestId,
    );
  }

  private unregisterOnProxy(addr: string, name: string, requestId: string): Promise<unknown> {
    return this.proxyCall(addr, '/unregister_model', { name }, requestId);
  }

  private async proxyCall(
    addr: string,
    path: string,
    json: unknown,
    requestId: string,
  ): Promise<{ addr: string; ok: boolean; status: number; error: string | null }> {
    try {
      const response = await this.http.requestJson({
        method: 'POST',
        url: `${addr}${path}`,
        json,
        headers: { authorization: `Bearer ${this.options['admin-api-key']}` },
        timeoutMs: this.options['control-timeout'] * 1000,
        requestId,
        upstreamName: `data proxy ${addr}`,
      });
      return {
        addr,
        ok: response.status === 200,
        status: response.status,
        error: response.status === 200 ? null : `status ${response.status}: ${response.text.slice(0, 300)}`,
      };
    } catch (err) {
      return { addr, ok: false, status: 502, error: transportError(err, `data proxy ${addr}`).message };
    }
  }
}
