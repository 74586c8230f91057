import { Injectable } from '@nestjs/common';
import { Counter, type Histogram } from 'prom-client';
import { MetricsService } from '@app/common';
import { InfBridgeService } from '../inference/inf-bridge.service.js';
import { SessionStore } from '../sessions/session-store.service.js';

/** The agent API a turn came in on, and its OpenTelemetry `gen_ai.operation.name`. */
export type AgentApi = 'chat' | 'responses' | 'messages' | 'completions' | 'generate';
const OPERATION: Record<AgentApi, string> = {
  chat: 'chat',
  responses: 'chat',
  messages: 'chat',
  completions: 'text_completion',
  generate: 'text_completion',
};

/** The labels of every per-turn metric. */
const TURN_LABELS = ['gen_ai_operation_name', 'gen_ai_response_model', 'api'] as const;
type TurnLabels = (typeof TURN_LABELS)[number];

/** One (api, model)'s histograms. */
interface TurnSeries {
  duration: { observe(value: number): void };
  timeToFirstToken: { observe(value: number): void };
  timePerOutputToken: { observe(value: number): void };
  inputTokens: { observe(value: number): void };
  outputTokens: { observe(value: number): void };
}

/** Latency buckets (seconds) from a few ms (one token) to minutes (long answers through a pause). */
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const PER_TOKEN_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const TOKENS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144];

/** A histogram of agent turns, labelled as every per-turn metric is. */
function turnHistogram(metrics: MetricsService, name: string, help: string, buckets: number[]): Histogram<TurnLabels> {
  return metrics.histogram(name, help, TURN_LABELS, buckets);
}

/** A counter that mirrors a number the app already keeps (read at scrape time, never decreasing). */
function mirroredCounter(metrics: MetricsService, name: string, help: string, read: () => number): void {
  let seen = 0;
  new Counter({
    name,
    help,
    registers: [metrics.registry],
    collect() {
      const now = read();
      if (now > seen) this.inc(now - seen);
      seen = now;
    },
  });
}

/** Counters that mirror numbers the app keeps, one per value of `label` (the keys of what `read` gives). */
export function mirroredCounters<K extends string>(
  metrics: MetricsService,
  name: string,
  help: string,
  label: string,
  read: () => Readonly<Record<K, number>>,
): void {
  const seen = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [metrics.registry],
    collect() {
      for (const [value, now] of Object.entries<number>(read())) {
        const before = seen.get(value) ?? 0;
        this.inc({ [label]: value }, now - before);
        seen.set(value, now);
      }
    },
  });
}

/**
 * The data proxy's metrics, named after the OpenTelemetry GenAI semantic conventions where they
 * apply (`gen_ai.server.request.duration`, `gen_ai.server.time_to_first_token`,
 * `gen_ai.server.time_per_output_token`, `gen_ai.client.token.usage` as Prometheus names: dots
 * become underscores, seconds get their unit suffix), plus the RL ones: resubmissions, requests
 * parked behind a pause, the weight version, sessions. State is read at scrape time; a turn costs
 * four histogram observations.
 */
@Injectable()
export class DataProxyMetrics {
  /** Running totals since start, for `/health` (the controller's dashboard rates them). */
  readonly totals = { turns: 0, promptTokens: 0, outputTokens: 0 };
  /** Prompt tokens of turns whose engine reported its cache hits, and those hits (the hit rate on /health). */
  readonly cache = { promptTokens: 0, cachedTokens: 0 };

  private readonly requestDuration: Histogram<TurnLabels>;
  private readonly timeToFirstToken: Histogram<TurnLabels>;
  private readonly timePerOutputToken: Histogram<TurnLabels>;
  private readonly tokenUsage: Histogram<TurnLabels | 'gen_ai_token_type'>;

  constructor(
    metrics: MetricsService,
    private readonly bridge: InfBridgeService,
    sessions: SessionStore,
  ) {
    this.requestDuration = turnHistogram(
      metrics,
      'gen_ai_server_request_duration_seconds',
      'GenAI server request duration: one agent turn, request received to answer finished',
      SECONDS,
    );
    this.timeToFirstToken = turnHistogram(
      metrics,
      'gen_ai_server_time_to_first_token_seconds',
      'Time to the first generated token of a streamed turn',
      SECONDS,
    );
    this.timePerOutputToken = turnHistogram(
      metrics,
      'gen_ai_server_time_per_output_token_seconds',
      'Time per output token after the first, of a streamed turn',
      PER_TOKEN_SECONDS,
    );
    this.tokenUsage = metrics.histogram(
      'gen_ai_client_token_usage',
      'Tokens per turn by type (input: the prompt, output: generated), as the data proxy asked the engine',
      [...TURN_LABELS, 'gen_ai_token_type'],
      TOKENS,
    );
    mirroredCounter(
      metrics,
      'data_proxy_prompt_tokens_total',
      'Prompt tokens sent to the engine (first segment of each generation)',
      () => this.cache.promptTokens,
    );
    // Divided by data_proxy_prompt_tokens_total: the engine's prefix-cache hit rate.
    mirroredCounter(
      metrics,
      'data_proxy_cached_prompt_tokens_total',
      'Prompt tokens the engine served from its prefix cache, as it reports them; / data_proxy_prompt_tokens_total = hit rate',
      () => this.cache.cachedTokens,
    );
    mirroredCounter(
      metrics,
      'data_proxy_resubmits_total',
      'Segments resubmitted to the engine after an abort (a pause for a weight update, or an engine abort)',
      () => bridge.resubmits,
    );
    mirroredCounter(
      metrics,
      'data_proxy_constrained_restarts_total',
      'Constrained generations (structured outputs) restarted from their prompt after an abort: the engine starts a grammar afresh with every request',
      () => bridge.constrainedRestarts,
    );
    mirroredCounter(
      metrics,
      'data_proxy_constrained_discarded_tokens_total',
      'Tokens of aborted constrained generations discarded by their restart (never recorded, never sent)',
      () => bridge.constrainedDiscardedTokens,
    );
    metrics.gauge(
      'data_proxy_pause_parked_requests',
      'Generations parked behind a pause, waiting for continue',
      () => bridge.parked,
    );
    metrics.gauge('data_proxy_requests_in_flight', 'Generations running or parked', () => bridge.activeRequests);
    metrics.gauge(
      'data_proxy_weight_version',
      'The weight version stamped on tokens dispatched now',
      () => bridge.version,
    );
    metrics.gauge('data_proxy_paused', '1 while generation is paused', () => (bridge.gate.isPaused ? 1 : 0));
    metrics.gauge('data_proxy_sessions', 'Sessions held by this data proxy', () => sessions.count);
  }

  /** Prefix-cache accounting for one generation whose engine reported its cache hits. */
  observeCache(promptTokens: number, cachedTokens: number): void {
    this.cache.promptTokens += promptTokens;
    this.cache.cachedTokens += cachedTokens;
  }

  /**
   * One finished turn. `firstTokenAt` is when its first token arrived (streaming), else null;
   * times are `performance.now()` milliseconds.
   */
  observeTurn(
    api: AgentApi,
    startedAt: number,
    firstTokenAt: number | null,
    promptTokens: number,
    outputTokens: number,
  ): void {
    this.totals.turns++;
    this.totals.promptTokens += promptTokens;
    this.totals.outputTokens += outputTokens;
    const series = this.seriesOf(api);
    const now = performance.now();
    series.duration.observe((now - startedAt) / 1000);
    if (firstTokenAt !== null) {
      series.timeToFirstToken.observe((firstTokenAt - startedAt) / 1000);
      if (outputTokens > 1) series.timePerOutputToken.observe((now - firstTokenAt) / 1000 / (outputTokens - 1));
    }
    series.inputTokens.observe(promptTokens);
    series.outputTokens.observe(outputTokens);
  }

  /** Labelled children, made once per (api, model): no label hashing on the per-turn path. */
  private readonly series = new Map<string, TurnSeries>();

  private seriesOf(api: AgentApi): TurnSeries {
    const model = this.bridge.servedModel;
    const key = `${api} ${model}`;
    const known = this.series.get(key);
    if (known) return known;
    const labels = { gen_ai_operation_name: OPERATION[api], gen_ai_response_model: model, api };
    const series: TurnSeries = {
      duration: this.requestDuration.labels(labels),
      timeToFirstToken: this.timeToFirstToken.labels(labels),
      timePerOutputToken: this.timePerOutputToken.labels(labels),
      inputTokens: this.tokenUsage.labels({ ...labels, gen_ai_token_type: 'input' }),
      outputTokens: this.tokenUsage.labels({ ...labels, gen_ai_token_type: 'output' }),
    };
    this.series.set(key, series);
    return series;
  }
}
