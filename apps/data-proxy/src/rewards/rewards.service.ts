import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_OPTIONS, AppException, ErrorCode } from '@app/common';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import type { Interaction } from '../sessions/interaction.js';
import type { Session } from '../sessions/session.js';
import { SessionStore } from '../sessions/session-store.service.js';
import type { SetRewardResponseDto } from '@app/contracts';

/** Per-interaction rewards: by interaction id, or one per interaction of the active trajectory in order. */
export type RewardsByInteraction = Record<string, number> | number[];

export type SetRewardResult = SetRewardResponseDto;

/**
 * Rewards close trajectories: this is which interaction a reward goes to, what is refused, and
 * when the trajectory becomes ready; the session store makes (and journals) the change.
 * Synchronous, so each call is atomic for its session. With `--set-reward-finish-timeout > 0` a
 * reward starts a debounce window: more rewards (and completions) may join until it elapses,
 * then the finaliser marks the trajectory ready.
 */
@Injectable()
export class RewardsService {
  private readonly logger = new Logger(RewardsService.name);

  constructor(
    @Inject(APP_OPTIONS) private readonly options: DataProxyOptions,
    private readonly sessions: SessionStore,
  ) {}

  setReward(session: Session, interactionId: string | null, reward: number, now: number = Date.now()): SetRewardResult {
    this.sessions.touch(session, now);
    const latest = session.latestReady();
    // A repeat after the trajectory became ready (no new completion since): report it, change nothing.
    if (latest && session.active.size === 0 && (interactionId === null || interactionId === latest.interactionId)) {
      return this.result(session, latest.trajectoryId, latest.cache.size, false);
    }
    if (session.active.size === 0) throw new AppException(400, ErrorCode.BAD_REQUEST, 'No interactions in session');
    const target = interactionId ?? session.active.last()?.id ?? null;
    const interaction = target === null ? undefined : session.active.get(target);
    if (!interaction) throw new AppException(400, ErrorCode.BAD_REQUEST, `Interaction ${target ?? ''} not found`);
    return this.close(session, [[interaction, reward]], now);
  }

  /**
   * Rewards several interactions of the active trajectory in one step (our extension: an agent
   * that scores each turn). Every target is checked before anything changes; the trajectory then
   * closes exactly as a single reward on the newest of them would close it.
   */
  setRewards(session: Session, rewards: RewardsByInteraction, now: number = Date.now()): SetRewardResult {
    this.sessions.touch(session, now);
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
    return this.close(session, targets, now);
  }

  /** Marks ready every trajectory whose debounce window has passed; returns how many. */
  finalizeDue(now: number = Date.now()): number {
    const timeoutMs = this.options.ms['set-reward-finish-timeout'];
    let count = 0;
    for (const session of this.sessions.all()) {
      if (session.pendingReward && now - session.pendingReward.at >= timeoutMs && session.active.size > 0) {
        const ready = this.sessions.markReady(session, now);
        this.logger.debug({ session: session.id, trajectory: ready.trajectoryId }, 'trajectory ready');
        count++;
      }
    }
    return count;
  }

  /** Sets the rewards (the last target's is the pending one); without a finish window the trajectory is ready at once. */
  private close(session: Session, targets: readonly (readonly [Interaction, number])[], now: number): SetRewardResult {
    const ready = this.sessions.reward(session, targets, this.options.ms['set-reward-finish-timeout'] <= 0, now);
    return ready
      ? this.result(session, ready.trajectoryId, ready.cache.size, true)
      : this.result(session, null, session.active.size, false);
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
