import { InteractionCache, type Interaction } from './interaction.js';

/** A rewarded trajectory waiting to be exported. */
export interface ReadyTrajectory {
  readonly trajectoryId: number;
  /** The interaction the (last) reward was set on. */
  readonly interactionId: string;
  readonly cache: InteractionCache;
  readonly createdAt: number;
  /** The controller acknowledged its online ready-callback (journaled: never announced twice). */
  readonly delivered: boolean;
}

/** A reward waiting for the finish timeout (debounce). */
export interface PendingReward {
  readonly at: number;
  readonly interactionId: string;
}

/** What a session starts with besides its id. */
export interface SessionSettings {
  seedIdentity?: string;
  deterministicSampling?: boolean;
  groupId?: string | null;
}

/** A session as the journal recovered it. */
export interface RecoveredSessionState {
  id: string;
  seedIdentity: string;
  deterministicSampling: boolean;
  groupId: string | null;
  requestIndex: number;
  nextTrajectoryId: number;
  pendingReward: PendingReward | null;
  active: InteractionCache;
  ready: ReadyTrajectory[];
}

type MutableReady = { -readonly [K in keyof ReadyTrajectory]: ReadyTrajectory[K] };

/**
 * One RL session: the trajectory being filled, the rewarded ones waiting for export, bookkeeping.
 * Everything is read-only from outside; the transitions below are SessionStore's to call, which
 * journals each one (ESLint refuses them anywhere else in the data proxy).
 */
export class Session {
  private activeCache = new InteractionCache();
  private readonly readyById = new Map<number, MutableReady>();
  private trajectoryCounter = 0;
  private pending: PendingReward | null = null;
  private requestCounter = 0;
  private readonly seed: string;
  private readonly deterministic: boolean;
  /** When the session was last used (stale-session sweep); not journaled. */
  lastAccess: number;
  /** The group this session was started in (`/rl/start_session` with `group_size`), for the router's group pins. */
  groupId: string | null;

  constructor(
    readonly id: string,
    now: number = Date.now(),
    settings: SessionSettings = {},
  ) {
    this.lastAccess = now;
    this.seed = settings.seedIdentity ?? id;
    this.deterministic = settings.deterministicSampling ?? false;
    this.groupId = settings.groupId ?? null;
  }

  /** A session rebuilt from the journal. */
  static recovered(state: RecoveredSessionState, now: number = Date.now()): Session {
    const session = new Session(state.id, now, state);
    session.requestCounter = state.requestIndex;
    session.trajectoryCounter = state.nextTrajectoryId;
    session.pending = state.pendingReward;
    session.activeCache = state.active;
    for (const ready of state.ready) session.readyById.set(ready.trajectoryId, { ...ready });
    return session;
  }

  /** The trajectory being filled. */
  get active(): InteractionCache {
    return this.activeCache;
  }

  /** Rewarded trajectories not exported yet, by id. */
  get ready(): ReadonlyMap<number, ReadyTrajectory> {
    return this.readyById;
  }

  get nextTrajectoryId(): number {
    return this.trajectoryCounter;
  }

  get pendingReward(): PendingReward | null {
    return this.pending;
  }

  /**
   * AReaL 2.0's deterministic sampling: the identity seeds derive from (`task_id`, or
   * `task_id:i` for member i of a group: never the physical `-k` suffix, so a restarted task
   * replays its seeds), the count of chat requests so far, and whether this session asked for it
   * at start (otherwise `--deterministic-sampling` decides).
   */
  get seedIdentity(): string {
    return this.seed;
  }

  get requestIndex(): number {
    return this.requestCounter;
  }

  get deterministicSampling(): boolean {
    return this.deterministic;
  }

  /** A recorded interaction by id: in the active trajectory, else in a ready one not yet exported. */
  findInteraction(id: string): Interaction | undefined {
    const active = this.activeCache.get(id);
    if (active) return active;
    for (const trajectory of this.readyById.values()) {
      const found = trajectory.cache.get(id);
      if (found) return found;
    }
    return undefined;
  }

  /** The ready trajectory with the highest id. */
  latestReady(): ReadyTrajectory | undefined {
    let latest: ReadyTrajectory | undefined;
    for (const trajectory of this.readyById.values())
      if (!latest || trajectory.trajectoryId > latest.trajectoryId) latest = trajectory;
    return latest;
  }

  /** Whether the session still holds anything a trainer could want. */
  get holdsData(): boolean {
    return this.activeCache.size > 0 || this.readyById.size > 0 || this.pending !== null;
  }

  // Transitions: SessionStore's, which journals each.

  touch(now: number = Date.now()): void {
    this.lastAccess = now;
  }

  /** The index of this chat request among the session's requests (deterministic seeds). */
  takeRequestIndex(): number {
    return this.requestCounter++;
  }

  /** Sets rewards on interactions of the active trajectory; the last one becomes the pending reward. */
  reward(rewards: readonly (readonly [Interaction, number])[], now: number): void {
    for (const [interaction, reward] of rewards) interaction.reward = reward;
    const [last] = rewards[rewards.length - 1];
    this.pending = { at: now, interactionId: last.id };
  }

  /** Turns the active trajectory into a ready one and starts a new active one. */
  markReady(now: number = Date.now()): ReadyTrajectory {
    const trajectory: MutableReady = {
      trajectoryId: this.trajectoryCounter++,
      interactionId: this.pending?.interactionId ?? this.activeCache.last()?.id ?? '',
      cache: this.activeCache,
      createdAt: now,
      delivered: false,
    };
    this.activeCache.trim();
    this.readyById.set(trajectory.trajectoryId, trajectory);
    this.activeCache = new InteractionCache();
    this.pending = null;
    return trajectory;
  }

  /** A ready trajectory leaves the session (it was exported). */
  removeReady(trajectoryId: number): boolean {
    return this.readyById.delete(trajectoryId);
  }

  /** The controller acknowledged the ready trajectory's online callback. */
  markDelivered(trajectoryId: number): boolean {
    const trajectory = this.readyById.get(trajectoryId);
    if (!trajectory) return false;
    trajectory.delivered = true;
    return true;
  }
}
