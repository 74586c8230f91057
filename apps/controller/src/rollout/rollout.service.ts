import { Inject, Injectable } from '@nestjs/common';
import { APP_OPTIONS, AppException, ErrorCode } from '@app/common';
import type { ControllerOptions } from '../config/controller-options.js';
import type { RolloutStatusResponseDto } from '@app/contracts';
import { ControlService } from '../control/control.service.js';
import { resolveAcceptPredicate } from './accept-predicate.js';
import { AgentLoadError, loadAgent } from './agent-loader.js';
import { DatasetCursor, DatasetError, readJsonlDataset } from './dataset.js';
import { DatasetStream } from './dataset-stream.js';
import type { EpisodeSpec } from './episode.js';
import { bad, type EpisodeRequest } from './rollout-request.js';
import { RolloutExecutor } from './rollout-executor.service.js';

const MAX_STREAMS = 64;

/**
 * Turns validated requests into runnable episode setups (agents and predicates loaded, dataset
 * read), and keeps prepare_batch's dataset streams. Everything that can be refused is refused
 * here, before a single episode starts.
 */
@Injectable()
export class RolloutService {
  private readonly streams = new Map<string, DatasetStream>();

  constructor(
    @Inject(APP_OPTIONS) private readonly options: ControllerOptions,
    private readonly control: ControlService,
    readonly executor: RolloutExecutor,
  ) {}

  async resolveSpec(request: EpisodeRequest): Promise<EpisodeSpec> {
    this.control.requireReady();
    if (this.options['api-url'] && (request.agent !== null || request.groupSize > 1))
      throw bad('external model mode (api_url) supports online mode only: no agent, group_size 1');
    try {
      return {
        agent: request.agent === null ? null : await loadAgent(request.agent, request.agentKwargs),
        agentKwargs: request.agentKwargs,
        groupSize: request.groupSize,
        accept: await resolveAcceptPredicate(request.accept),
        discount: request.discount ?? this.options['turn-discount'],
        style: request.style ?? (this.options['export-style'] as EpisodeSpec['style']),
        format: request.format,
        schema: request.schema,
        deterministicSampling: request.deterministicSampling,
        serializeGroupSamples: request.serializeGroupSamples,
        rewardNormalization: request.rewardNormalization,
        dropIncompleteGroup: request.dropIncompleteGroup,
        timeoutMs:
          request.episodeTimeoutS !== undefined ? request.episodeTimeoutS * 1000 : this.options.ms['episode-timeout'],
      };
    } catch (err) {
      if (err instanceof AgentLoadError) throw bad(err.message);
      throw err;
    }
  }

  /**
   * The stream of one (dataset, episode setup): created on first use, so a later call with other
   * settings gets its own stream and cursor instead of silently reusing the first call's (a reference defect).
   */
  async stream(dataset: string | null, request: EpisodeRequest): Promise<DatasetStream> {
    const key = JSON.stringify([dataset, request]);
    const existing = this.streams.get(key);
    if (existing) return existing;
    let cursor: DatasetCursor | null = null;
    if (dataset !== null) {
      try {
        cursor = new DatasetCursor(readJsonlDataset(dataset).items);
      } catch (err) {
        if (err instanceof DatasetError) throw bad(err.message);
        throw err;
      }
    }
    const spec = await this.resolveSpec(request);
    if (this.streams.size >= MAX_STREAMS)
      throw new AppException(429, ErrorCode.NO_CAPACITY, `at most ${MAX_STREAMS} prepare_batch streams`);
    const state = this.executor.state;
    const stream = new DatasetStream(key, dataset, this.executor, spec, cursor, state, state.recoveredStream(key));
    this.streams.set(key, stream);
    return stream;
  }

  /** Resets the streams over a dataset (every setup), or all of them; returns how many. */
  reset(dataset: string | null): number {
    let count = 0;
    for (const stream of this.streams.values()) {
      if (dataset !== null && stream.dataset !== dataset) continue;
      stream.reset();
      count++;
    }
    return count;
  }

  status(): RolloutStatusResponseDto {
    return {
      paused: this.executor.paused,
      queued: this.executor.queued,
      finished: this.executor.finished,
      pooled: this.executor.pooled,
      capacity: this.executor.staleness.terms(),
      streams: [...this.streams.values()].map((s) => {
        return {
          dataset: s.dataset,
          agent: s.spec.agent ? 'agent' : 'online',
          group_size: s.spec.groupSize,
          position: s.cursor?.position ?? null,
          epoch: s.cursor?.epoch ?? null,
          size: s.cursor?.items.length ?? null,
          inflight: s.inflight,
          buffered: s.buffered,
        };
      }),
    };
  }
}
