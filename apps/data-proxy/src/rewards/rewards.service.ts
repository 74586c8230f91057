import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_OPTIONS, AppException, ErrorCode } from '@app/common';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import type { Session } from '../sessions/session-store.service.js';
import type { Interaction } from '../sessions/interaction.js';
import type { SetRewardResponseDto } from '@app/contracts';

/** Per-interaction rewards: by interaction id, or one per interaction of the active trajectory in order. */
export type RewardsByInteraction = Record<string, number> | number[];

export type SetRewardResult = SetRewardResponseDto;

/**
 * Rewards close trajectories. Synchronous, so each call is atomic for its session.
 * With `--set-reward-finish-timeout > 0` a reward starts a debounce window: more rewards (and
 * completions) may join until it elapses, then the finaliser marks the trajectory ready.
 */
@Injectable()
export class RewardsService {
  private readonly logger = new Logger(RewardsService.name);

  constructor(@Inject(APP_OPTIONS) private readonly options: DataProxyOptions) {}

  setReward(session: Session, interactionId: string | null, reward: number, now: number = Date.now()): SetRewardResult {
    session.touch(now);
    const latest = session.latestReady();
    // A repeat after the trajectory became ready (no new completion since): report it, change nothing.
    if (latest && session.active.size === 0 && (interactionId === null || interactionId === latest.interactionId)) {
      return this.result(session, latest.trajectoryId, latest.cache.size, false);
    }
    if (session.active.size === 0) throw new AppException(400, ErrorCode.BAD_REQUEST, 'No interactions in session');
    const target = interactionId ?? session.active.last()?.id ?? null;
    const interaction = target === null ? undefined : session.active.get(target);
    if (!interaction) throw new AppException(400, ErrorCode.BAD_REQUEST, `Interaction ${target ?? ''} not found`);
    interaction.reward = reward;
    session.pendingReward = { at: now, interactionId: interaction.id };
    const timeoutMs = this.options.ms['set-reward-finish-timeout'];
    if (timeoutMs <= 0) {
      const ready = session.markReady(now);
      return this.result(session, ready.trajectoryId, ready.cache.size, true);
    }
    return this.result(session, null, session.active.size, false);
  }

  /**
   * Rewards several interactions of the active trajectory in one step (our extension: an agent
   * that scores each turn). Every target is checked before anything changes; the trajectory then
   * closes exactly as a single reward on the newest of them would close it.
   */
  setRewards(session: Session, rewards: RewardsByInteraction, now: number = Date.now()): SetRewardResult {
    session.touch(now);
    const active = [...session.active.values()];
    if (active.length === 0) throw new AppException(400, ErrorCode.BAD_REQUEST, 'No interactions in session');
    let targets: [Interaction, number][];
    if (Array.isArray(rewards)) {
      if (rewards.length !== active.length) {
        throw new AppException(
          400,
          ErrorCode.BAD_REQUEST,
          `rewards has ${rewards.length} values but the trajectory has ${active.length} interactions`,
        );
      }
      targets = active.map((interaction, i) => [interaction, rewards[i]]);
    } else {
      targets = Object.entries(rewards).map(([id, reward]) => {
        const interaction = session.active.get(id);
        if (!interaction) throw new AppException(400, ErrorCode.BAD_REQUEST, `Interaction ${id} not found`);
        return [interaction, reward];
      });
      if (targets.length === 0) throw new AppException(400, ErrorCode.BAD_REQUEST, 'rewards is empty');
      targets.sort((a, b) => active.indexOf(a[0]) - active.indexOf(b[0]));
    }
    for (const [interaction, reward] of targets.slice(0, -1)) interaction.reward = reward;
    const [newest, reward] = targets[targets.length - 1];
    return this.setReward(session, newest.id, reward, now);
  }

  /** Marks ready every trajectory whose debounce window has passed; returns how many. */
  finalizeDue(sessions: Iterable<Session>, now: number = Date.now(), onReady?: (session: Session) => void): number {
    const timeoutMs = this.options.ms['set-reward-finish-timeout'];
    let count = 0;
    for (const session of sessions) {
      if (session.pendingReward && now - session.pendingReward.at >= timeoutMs && session.active.size > 0) {
        const ready = session.markReady(now);
        this.logger.debug({ session: session.id, trajectory: ready.trajectoryId }, 'trajectory ready');
        onReady?.(session);
        count++;
      }
    }
    return count;
  }

  private result(session: Session, trajectoryId: number | null, count: number, transition: boolean): SetRewardResult {
    return {
      message: 'success',
      interaction_count: count,
      session_id: session.id,
      trajectory_id: trajectoryId,
      trajectory_ready: trajectoryId !== null,
      ready_transition: transition,
    };
  }
}
