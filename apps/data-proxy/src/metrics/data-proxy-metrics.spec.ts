import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { MetricsService } from '@app/common';
import type { InfBridgeService } from '../inference/inf-bridge.service.js';
import type { SessionStore } from '../sessions/session-store.service.js';
import { DataProxyMetrics } from './data-proxy-metrics.js';

/** The bridge's counters and state as the metrics read them at scrape time. */
function fakeBridge(): InfBridgeService {
  return {
    servedModel: 'qwen3',
    resubmits: 3,
    constrainedRestarts: 1,
    constrainedDiscardedTokens: 40,
    parked: 2,
    activeRequests: 5,
    version: 7,
    gate: { isPaused: true },
  } as unknown as InfBridgeService;
}

function setup() {
  const metrics = new MetricsService({ name: 'data-proxy', version: 'test' });
  const dataProxy = new DataProxyMetrics(metrics, fakeBridge(), { count: 4 } as unknown as SessionStore);
  const scrape = async (): Promise<string[]> => (await metrics.registry.metrics()).split('\n');
  return { dataProxy, scrape };
}

const CHAT = 'app="data-proxy",gen_ai_operation_name="chat",gen_ai_response_model="qwen3",api="chat"';

describe(DataProxyMetrics.name, () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('counts prompt tokens and the engine prefix-cache hits of turns whose engine reported them', async () => {
    const { dataProxy, scrape } = setup();
    dataProxy.observeCache(1000, 900);
    dataProxy.observeCache(500, 0);
    expect(dataProxy.cache).toEqual({ promptTokens: 1500, cachedTokens: 900 });
    expect(await scrape()).toEqual(
      expect.arrayContaining([
        'data_proxy_prompt_tokens_total{app="data-proxy"} 1500',
        'data_proxy_cached_prompt_tokens_total{app="data-proxy"} 900',
      ]),
    );
  });

  it('records a streamed turn in every turn histogram, labelled by operation, model and API', async () => {
    const { dataProxy, scrape } = setup();
    // Started at 0 s, first token at 0.2 s, finished at 1.2 s: 11 output tokens, 0.1 s each after the first.
    jest.spyOn(performance, 'now').mockReturnValue(1200);
    dataProxy.observeTurn('chat', 0, 200, 100, 11);
    const lines = await scrape();
    expect(lines).toEqual(
      expect.arrayContaining([
        '# HELP gen_ai_server_request_duration_seconds GenAI server request duration: one agent turn, request received to answer finished',
        '# TYPE gen_ai_server_request_duration_seconds histogram',
        `gen_ai_server_request_duration_seconds_bucket{le="1",${CHAT}} 0`,
        `gen_ai_server_request_duration_seconds_bucket{le="2.5",${CHAT}} 1`,
        `gen_ai_server_request_duration_seconds_sum{${CHAT}} 1.2`,
        '# HELP gen_ai_server_time_to_first_token_seconds Time to the first generated token of a streamed turn',
        `gen_ai_server_time_to_first_token_seconds_bucket{le="0.1",${CHAT}} 0`,
        `gen_ai_server_time_to_first_token_seconds_bucket{le="0.25",${CHAT}} 1`,
        '# HELP gen_ai_server_time_per_output_token_seconds Time per output token after the first, of a streamed turn',
        `gen_ai_server_time_per_output_token_seconds_bucket{le="0.05",${CHAT}} 0`,
        `gen_ai_server_time_per_output_token_seconds_bucket{le="0.1",${CHAT}} 1`,
        `gen_ai_client_token_usage_bucket{le="64",${CHAT},gen_ai_token_type="input"} 0`,
        `gen_ai_client_token_usage_bucket{le="256",${CHAT},gen_ai_token_type="input"} 1`,
        `gen_ai_client_token_usage_bucket{le="16",${CHAT},gen_ai_token_type="output"} 1`,
      ]),
    );
    expect(dataProxy.totals).toEqual({ turns: 1, promptTokens: 100, outputTokens: 11 });
  });

  it('records no first-token or per-token time for a turn that was not streamed', async () => {
    const { dataProxy, scrape } = setup();
    jest.spyOn(performance, 'now').mockReturnValue(500);
    dataProxy.observeTurn('completions', 0, null, 10, 5);
    const text = (await scrape()).join('\n');
    expect(text).toContain(
      'gen_ai_server_request_duration_seconds_count{app="data-proxy",gen_ai_operation_name="text_completion"',
    );
    expect(text).not.toContain('gen_ai_server_time_to_first_token_seconds_count{');
    expect(text).not.toContain('gen_ai_server_time_per_output_token_seconds_count{');
  });

  it("reads the bridge's counters and state at scrape time", async () => {
    const { scrape } = setup();
    expect(await scrape()).toEqual(
      expect.arrayContaining([
        'data_proxy_resubmits_total{app="data-proxy"} 3',
        'data_proxy_constrained_restarts_total{app="data-proxy"} 1',
        'data_proxy_constrained_discarded_tokens_total{app="data-proxy"} 40',
        'data_proxy_pause_parked_requests{app="data-proxy"} 2',
        'data_proxy_requests_in_flight{app="data-proxy"} 5',
        'data_proxy_weight_version{app="data-proxy"} 7',
        'data_proxy_paused{app="data-proxy"} 1',
        'data_proxy_sessions{app="data-proxy"} 4',
      ]),
    );
  });
});
