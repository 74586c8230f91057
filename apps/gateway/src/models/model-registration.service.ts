import { Inject, Injectable } from '@nestjs/common';
import { APP_OPTIONS, ErrorCode, HttpClient, isJsonObject } from '@app/common';
import type {
  DataProxyRegisterModelRequestDto,
  ModelEntryResponseDto,
  ProxyRegistrationResultDto,
  RegisterModelResponseDto,
  UnregisterModelRequestDto,
} from '@app/contracts';
import type { GatewayOptions } from '../config/gateway-options.js';
import { gatewayError, transportError } from '../proxy/gateway-error.js';
import { RouterClient } from '../router-client/router-client.service.js';

/** What the router holds for a model: the body of its `/register_model`, the answer of `/models/{name}`. */
type ModelEntry = ModelEntryResponseDto;

/**
 * `/register_model`: the router first, then every data proxy of the model in parallel. If any data
 * proxy fails, exactly what this call did is rolled back: data proxies that took the new entry get
 * the previous one back (or lose the model), and the router's entry is restored (or removed).
 */
@Injectable()
export class ModelRegistrationService {
  constructor(
    private readonly router: RouterClient,
    private readonly http: HttpClient,
    @Inject(APP_OPTIONS) private readonly options: GatewayOptions,
  ) {}

  async register(entry: ModelEntry, requestId: string): Promise<RegisterModelResponseDto> {
    const previous = await this.previousEntry(entry.model, requestId);
    const registered = await this.router.raw('POST', '/register_model', entry, requestId);
    if (registered.status === 503) throw gatewayError(503, ErrorCode.NO_HEALTHY_WORKERS, 'No healthy workers');
    if (registered.status !== 200 || !isJsonObject(registered.json)) {
      throw gatewayError(
        registered.status === 422 ? 400 : 502,
        registered.status === 422 ? ErrorCode.BAD_REQUEST : ErrorCode.UPSTREAM_BAD_RESPONSE,
        `Router refused the model: HTTP ${registered.status}`,
      );
    }
    const addrs = Array.isArray(registered.json.data_proxy_addrs)
      ? (registered.json.data_proxy_addrs as string[])
      : entry.data_proxy_addrs;
    const results = await Promise.all(addrs.map((addr) => this.registerOnProxy(addr, entry, requestId)));
    const failed = results.filter((r) => !r.ok);
    if (failed.length === 0) return registered.json as unknown as RegisterModelResponseDto;
    // Roll back exactly what this call did: proxies that took the new entry get the previous one
    // back (or lose the model), and the router entry is restored (or removed).
    await Promise.all(
      results
        .filter((r) => r.ok)
        .map((r) =>
          previous
            ? this.registerOnProxy(r.addr, previous, requestId)
            : this.unregisterOnProxy(r.addr, entry.model, requestId),
        ),
    );
    if (previous) await this.router.raw('POST', '/register_model', previous, requestId).catch(() => undefined);
    else await this.router.raw('POST', '/remove_model', { name: entry.model }, requestId).catch(() => undefined);
    throw gatewayError(502, ErrorCode.UPSTREAM_UNAVAILABLE, 'Data proxy registration failed', {
      details: failed.map((r) => `${r.addr}: ${r.error}`),
      results,
    });
  }

  private async previousEntry(name: string, requestId: string): Promise<ModelEntry | null> {
    const response = await this.router.raw('GET', `/models/${encodeURIComponent(name)}`, undefined, requestId);
    return response.status === 200 && isJsonObject(response.json) ? (response.json as unknown as ModelEntry) : null;
  }

  private async registerOnProxy(
    addr: string,
    entry: ModelEntry,
    requestId: string,
  ): Promise<ProxyRegistrationResultDto> {
    return this.proxyCall(
      addr,
      '/register_model',
      {
        name: entry.model,
        url: entry.url,
        model: entry.model,
        api_key: entry.api_key,
      } satisfies DataProxyRegisterModelRequestDto,
      requestId,
    );
  }

  private unregisterOnProxy(addr: string, name: string, requestId: string): Promise<unknown> {
    return this.proxyCall(addr, '/unregister_model', { name } satisfies UnregisterModelRequestDto, requestId);
  }

  private async proxyCall(
    addr: string,
    path: string,
    json: unknown,
    requestId: string,
  ): Promise<ProxyRegistrationResultDto> {
    try {
      const response = await this.http.requestJson({
        method: 'POST',
        url: `${addr}${path}`,
        json,
        headers: { authorization: `Bearer ${this.options['admin-api-key']}` },
        timeoutMs: this.options.ms['control-timeout'],
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
