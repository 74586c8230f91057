import { InteractionCache, type Interaction } from './interaction.js';

/** Delivery state of one online ready-callback. */
export interface CallbackState {
  delivered: boolean;
  inFlight: boolean;
  attempts: number;
  nextAttemptAt: number;
}

/** A rewarded trajectory waiting to be exported. */
export interface ReadyTrajectory {
  trajectoryId: number;
  /** The interaction the (last) reward was set on. */
  interactionId: string;
  cache: InteractionCache;
  createdAt: number;
  callback: CallbackState;
}

/** One RL session: the trajectory being filled, the rewarded ones waiting for export, bookkeeping. */
export class Session {
  active = new InteractionCache();
  readonly ready = new Map<number, ReadyTrajectory>();
  nextTrajectoryId = 0;
  /** A reward waiting for the finish timeout (debounce), if any. */
  pendingReward: { at: number; interactionId: string } | null = null;
  lastAccess: number;
  /**
   * AReaL 2.0's deterministic sampling: the identity seeds derive from (`task_id`, or
   * `task_id:i` for member i of a group: never the physical `-k` suffix, so a restarted task
   * replays its seeds), the count of chat requests so far, and whether this session asked for it
   * at start (otherwise `--deterministic-sampling` decides).
   */
  seedIdentity: string;
  requestIndex = 0;
  deterministicSampling = false;
  /** The group this session was started in (`/rl/start_session` with `group_size`), for the router's group pins. */
  groupId: string | null = null;

  constructor(
    readonly id: string,
    now: number = Date.now(),
  ) {
    this.lastAccess = now;
    this.seedIdentity = id;
  }

  touch(now: number = Date.now()): void {
    this.lastAccess = now;
  }

  /** A recorded interaction by id: in the active trajectory, else in a ready one not yet exported. */
  findInteraction(id: string): Interaction | undefined {
    const active = this.active.get(id);
    if (active) return active;
    for (const trajectory of this.ready.values()) {
      const found = trajectory.cache.get(id);
      if (found) return found;
    }
    return undefined;
  }

  /** The ready trajectory with the highest id. */
  latestReady(): ReadyTrajectory | undefined {
    let latest: ReadyTrajectory | undefined;
    for (const trajectory of this.ready.values())
      if (!latest || trajectory.trajectoryId > latest.trajectoryId) latest = trajectory;
    return latest;
  }

  /** Turns the active trajectory into a ready one and starts a new active one. */
  markReady(now: number = Date.now()): ReadyTrajectory {
    const trajectory: ReadyTrajectory = {
      trajectoryId: this.nextTrajectoryId++,
      interactionId: this.pendingReward?.interactionId ?? this.active.last()?.id ?? '',
      cache: this.active,
      createdAt: now,
      callback: { delivered: false, inFlight: false, attempts: 0, nextAttemptAt: 0 },
    };
    this.ready.set(trajectory.trajectoryId, trajectory);
    this.active = new InteractionCache();
    this.pendingReward = null;
    return trajectory;
  }

  /** Whether the session still holds anything a trainer could want. */
  get holdsData(): boolean {
    return this.active.size > 0 || this.ready.size > 0 || this.pendingReward !== null;
  }
}
