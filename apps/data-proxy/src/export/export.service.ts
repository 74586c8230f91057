import { Inject, Injectable } from '@nestjs/common';
import { APP_OPTIONS, AppException, ErrorCode } from '@app/common';
import type {
  ExportedInteractionDto,
  ExportedMessagesInteractionDto,
  ExportedTensorInteractionDto,
  ExportedTrajDto,
  ExportFormat,
  ExportSchema,
  ExportStyle,
  ExportTrajectoriesResponseDto,
  TrajReferencesDto,
} from '@app/contracts';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import { ServingAddress } from '../serving/serving-address.js';
import type { ReadyTrajectory } from '../sessions/session.js';
import { SessionStore, type Session } from '../sessions/session-store.service.js';
import { rtensorReference } from './rpc-encoding.js';
import { ShardStore } from './shard-store.service.js';
import {
  buildTraj,
  byKey,
  ExportError,
  exportTrajectory,
  normalizeGroupRewards,
  TENSOR_KEYS,
  TRAJ_KEYS,
  trajToJson,
  toJsonEntry,
  type ExportedInteraction,
} from './trajectory-export.js';

export interface ExportRequest {
  sessionIds: string[];
  /** True for the later upstream form (`session_ids`): unknown or unready sessions are skipped. */
  lenient: boolean;
  trajectoryId: number | null;
  discount: number;
  style: ExportStyle;
  removeSession: boolean;
  format: ExportFormat;
  /** null: the data proxy's `--export-schema`. */
  schema: ExportSchema | null;
  /** Normalize rewards across the listed sessions (one group member each) before exporting. */
  normalizeRewards: boolean;
}

/**
 * Exports ready trajectories. The trajectory leaves the session only after
 * its export was built, so a request that cannot be served (bad style, concat on hf data) loses
 * nothing. In the reference encoding every tensor becomes a shard held here for `/data/*`.
 */
@Injectable()
export class ExportService {
  constructor(
    private readonly sessions: SessionStore,
    private readonly shards: ShardStore,
    private readonly servingAddress: ServingAddress,
    @Inject(APP_OPTIONS) private readonly options: DataProxyOptions,
  ) {}

  export(request: ExportRequest): ExportTrajectoriesResponseDto {
    const schema = request.schema ?? (this.options['export-schema'] as ExportSchema);
    // AReaL 2.0's export skips what it cannot find; it has no 404 or 409.
    const lenient = request.lenient || schema === 'traj';
    const chosen: { session: Session; trajectory: ReadyTrajectory }[] = [];
    for (const sessionId of request.sessionIds) {
      const session = this.sessions.get(sessionId);
      if (!session) {
        if (lenient) continue;
        throw new AppException(404, ErrorCode.NOT_FOUND, `Session ${sessionId} not found`);
      }
      const trajectory = this.pick(session, { ...request, lenient });
      if (trajectory) chosen.push({ session, trajectory });
    }
    let normalized: Map<string, number> | undefined;
    if (request.normalizeRewards && chosen.length > 1) {
      normalized = normalizeGroupRewards(chosen.map((c) => c.trajectory.cache)) ?? undefined;
      if (!normalized)
        throw new AppException(
          400,
          ErrorCode.BAD_REQUEST,
          'Cannot normalize rewards: a listed session has no reward on its last interaction',
        );
    }
    const picked: { session: Session; trajectory: ReadyTrajectory; items: ExportedInteraction[] }[] = [];
    for (const { session, trajectory } of chosen) {
      try {
        picked.push({
          session,
          trajectory,
          items: exportTrajectory(trajectory.cache, request.style, request.discount, normalized),
        });
      } catch (err) {
        if (err instanceof ExportError) throw new AppException(400, ErrorCode.BAD_REQUEST, err.message);
        throw err;
      }
    }
    // Everything was built: now the trajectories leave their sessions.
    for (const { session, trajectory } of picked) this.sessions.markExported(session, trajectory.trajectoryId);
    const answer: ExportTrajectoriesResponseDto =
      schema === 'traj'
        ? {
            traj: this.trajAnswer(
              picked.flatMap((p) => p.items),
              request.format,
            ),
          }
        : {
            interactions: this.interactionsAnswer(
              picked.flatMap((p) => p.items),
              request.format,
            ),
          };
    if (request.removeSession) {
      for (const sessionId of request.sessionIds) {
        const session = this.sessions.get(sessionId);
        // Never drop a session that still holds a pending reward, more trajectories or new turns.
        if (session && (!lenient || !session.holdsData)) this.sessions.remove(sessionId);
      }
    }
    return answer;
  }

  /** By interaction id: a map whose keys are data, typed by what each value is. */
  private interactionsAnswer(
    items: ExportedInteraction[],
    format: ExportFormat,
  ): Record<string, ExportedInteractionDto> {
    const interactions: Record<string, ExportedInteractionDto> = {};
    for (const item of items)
      interactions[item.interaction.id] = format === 'json' ? toJsonEntry(item) : this.rpcEntry(item);
    return interactions;
  }

  /** AReaL 2.0's `traj`: one padded batch, one shard per key (rpc), or nested lists (json). */
  private trajAnswer(items: ExportedInteraction[], format: ExportFormat): ExportedTrajDto {
    const traj = buildTraj(items);
    if (traj === null) return {};
    if ('interactions' in traj) return traj;
    if (format === 'json') return trajToJson(traj);
    const nodeAddr = this.servingAddress.hostPort;
    return byKey(TRAJ_KEYS, (key) =>
      rtensorReference(traj[key], this.shards.put(traj[key]), nodeAddr),
    ) satisfies TrajReferencesDto;
  }

  private pick(session: Session, request: ExportRequest): ReadyTrajectory | null {
    if (session.ready.size === 0) {
      if (request.lenient) return null;
      const status = request.trajectoryId === null ? 409 : 404;
      throw new AppException(
        status,
        status === 409 ? ErrorCode.CONFLICT : ErrorCode.NOT_FOUND,
        `No ready trajectories for session ${session.id}`,
      );
    }
    const id = request.trajectoryId ?? session.latestReady()!.trajectoryId;
    const trajectory = session.ready.get(id);
    if (!trajectory) {
      if (request.lenient) return null;
      throw new AppException(404, ErrorCode.NOT_FOUND, `Trajectory ${id} not found for session ${session.id}`);
    }
    return trajectory;
  }

  /** The reference encoding: tensors replaced by RTensor references to shards held here. */
  private rpcEntry(item: ExportedInteraction): ExportedTensorInteractionDto | ExportedMessagesInteractionDto {
    const tensors = item.tensors;
    if (!tensors) {
      return {
        messages: item.interaction.messages,
        output_message_list: item.interaction.outputMessages,
        reward: item.reward,
        interaction_id: item.interaction.id,
      };
    }
    const nodeAddr = this.servingAddress.hostPort;
    const tensorDict = byKey(TENSOR_KEYS, (key) =>
      rtensorReference(tensors[key], this.shards.put(tensors[key]), nodeAddr),
    );
    return { tensor_dict: tensorDict, reward: item.reward, interaction_id: item.interaction.id };
  }
}
