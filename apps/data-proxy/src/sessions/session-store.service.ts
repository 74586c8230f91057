// One unit over 300 lines: the data proxy's session table (keys, groups, the HITL session, refresh,
// stale removal), the intent methods that change a session, and the journal record of every change;
// a change and its record must never be apart.
import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
import { APP_OPTIONS, AppException, constantTimeEquals, ErrorCode } from '@app/common';
import { HITL_SESSION_ID } from '@app/contracts';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import {
  openSessionJournal,
  serializeInteraction,
  SESSION_JOURNAL,
  type OpenedSessionJournal,
  type RecoveredState,
  type SessionJournal,
  type SessionScalars,
} from '../persistence/session-journal.js';

/** What the journal already says about a session, so that only changes are appended. */
interface JournaledView {
  scalars: string;
  rewards: Map<string, number | null>;
  /** Ready trajectories journaled, with their interaction ids. */
  ready: Map<number, string[]>;
}
import { InteractionCache, type Interaction, type NewInteraction } from './interaction.js';
import { Session, type ReadyTrajectory, type SessionSettings } from './session.js';

export { Session } from './session.js';

/**
 * Sessions and their keys: `task_id-idx` ids, fresh opaque keys, the admin key's HITL
 * session. Every method is synchronous, so concurrent requests see consistent state.
 *
 * The only place a session changes: each intent method below (`start`, `record`, `reward`,
 * `markReady`, `markExported`, `markDelivered`, `remove`, ...) changes the session and journals
 * the change before it returns, so no caller can change one without the other.
 */
@Injectable()
export class SessionStore implements OnApplicationShutdown {
  private readonly logger = new Logger(SessionStore.name);
  private readonly sessions = new Map<string, Session>();
  private readonly sessionByKey = new Map<string, string>();
  private readonly keyBySession = new Map<string, string>();
  /** With `--state-dir`: every change is journaled, and a restart recovers it. */
  private readonly journal: SessionJournal | null = null;
  private readonly views = new WeakMap<Session, JournaledView>();

  /**
   * `opened`: the journal the `SESSION_JOURNAL` provider opened (null: none). Built by hand with
   * the options only, the store opens the journal they name itself, as the provider would.
   */
  constructor(
    @Inject(APP_OPTIONS) private readonly options: DataProxyOptions,
    @Optional() @Inject(SESSION_JOURNAL) opened?: OpenedSessionJournal | null,
  ) {
    const journal = opened === undefined ? openSessionJournal(options) : opened;
    if (!journal) return;
    this.journal = journal.journal;
    this.restore(journal.state);
    this.logger.log(
      {
        stateDir: options['state-dir'],
        sessions: journal.state.sessions.length,
        interactions: journal.state.interactions.size,
        tornBytesDropped: journal.state.tornBytes,
      },
      'sessions recovered from the journal',
    );
  }

  onApplicationShutdown(): void {
    this.journal?.close();
  }

  /** Records a completed interaction in the session's active trajectory (journaled before the client hears of it). */
  record(session: Session, recorded: NewInteraction): void {
    // The one transition that is not a Session method: the interaction is journaled on its own.
    // Its parent, when journaled in this trajectory: the record holds only what is new over it.
    const base = recorded.parentId === null ? null : (session.active.get(recorded.parentId) ?? null);
    const interaction = session.active.insert(recorded);
    session.touch();
    const journal = this.journal;
    if (!journal || this.sessions.get(session.id) !== session) return;
    journal.append({ t: 'i', s: session.id, i: serializeInteraction(interaction, base) });
    this.viewOf(session).rewards.set(interaction.id, interaction.reward);
    this.journalScalars(session);
    if (journal.wantsCompaction) this.compact();
  }

  /** Marks the session used now (the stale-session sweep); not journaled: a restart restarts idle time. */
  touch(session: Session, now: number = Date.now()): void {
    session.touch(now);
  }

  /**
   * The index of this chat request among the session's requests (deterministic seeds). Journaled
   * with the turn's interaction, or with the session's next change if the turn fails.
   */
  takeRequestIndex(session: Session): number {
    return session.takeRequestIndex();
  }

  /**
   * Sets rewards on interactions of the session's active trajectory (the last one becomes the
   * pending reward); with `ready`, the trajectory becomes ready at once, which it returns.
   */
  reward(
    session: Session,
    rewards: readonly (readonly [Interaction, number])[],
    ready: boolean,
    now: number = Date.now(),
  ): ReadyTrajectory | null {
    session.reward(rewards, now);
    const trajectory = ready ? session.markReady(now) : null;
    this.persist(session);
    return trajectory;
  }

  /** The active trajectory becomes ready (its reward's finish window passed). */
  markReady(session: Session, now: number = Date.now()): ReadyTrajectory {
    const trajectory = session.markReady(now);
    this.persist(session);
    return trajectory;
  }

  /** A ready trajectory leaves its session: it was exported. */
  markExported(session: Session, trajectoryId: number): void {
    if (session.removeReady(trajectoryId)) this.persist(session);
  }

  /** The controller acknowledged a ready trajectory's online callback: it is never announced again, even after a restart. */
  markDelivered(sessionId: string, trajectory: ReadyTrajectory): void {
    const session = this.sessions.get(sessionId);
    // Still this very trajectory: not exported meanwhile, and not a later session that reused the id.
    if (session?.ready.get(trajectory.trajectoryId) !== trajectory) return;
    session.markDelivered(trajectory.trajectoryId);
    this.persist(session);
  }

  /**
   * Journals what changed in the session since it was last journaled: rewards, trajectories that
   * became ready or left, its scalars. The intent methods call it after every change; nothing
   * outside the store needs it (specs use it to journal a state they built by hand).
   */
  persist(session: Session): void {
    const journal = this.journal;
    if (!journal || this.sessions.get(session.id) !== session) return;
    const view = this.viewOf(session);
    const trajectories = [...session.ready.values()].sort((a, b) => a.trajectoryId - b.trajectoryId);
    for (const cache of [...trajectories.map((t) => t.cache), session.active])
      for (const interaction of cache.values())
        if (view.rewards.get(interaction.id) !== interaction.reward) {
          journal.append({ t: 'w', s: session.id, id: interaction.id, reward: interaction.reward });
          view.rewards.set(interaction.id, interaction.reward);
        }
    for (const trajectory of trajectories)
      if (!view.ready.has(trajectory.trajectoryId)) {
        journal.append({
          t: 'r',
          s: session.id,
          trajectoryId: trajectory.trajectoryId,
          interactionId: trajectory.interactionId,
          createdAt: trajectory.createdAt,
        });
        view.ready.set(
          trajectory.trajectoryId,
          [...trajectory.cache.values()].map((i) => i.id),
        );
      }
    for (const [trajectoryId, ids] of view.ready)
      if (!session.ready.has(trajectoryId)) {
        journal.append({ t: 'x', s: session.id, trajectoryId });
        view.ready.delete(trajectoryId);
        for (const id of ids) view.rewards.delete(id);
      }
    this.journalScalars(session);
    if (journal.wantsCompaction) this.compact();
  }

  private viewOf(session: Session): JournaledView {
    let view = this.views.get(session);
    if (!view) {
      view = { scalars: '', rewards: new Map(), ready: new Map() };
      this.views.set(session, view);
    }
    return view;
  }

  private scalarsOf(session: Session): SessionScalars {
    return {
      id: session.id,
      key: this.keyBySession.get(session.id) ?? null,
      seedIdentity: session.seedIdentity,
      deterministic: session.deterministicSampling,
      groupId: session.groupId,
      requestIndex: session.requestIndex,
      nextTrajectoryId: session.nextTrajectoryId,
      pendingReward: session.pendingReward,
      delivered: [...session.ready.values()].filter((r) => r.delivered).map((r) => r.trajectoryId),
    };
  }

  private journalScalars(session: Session): void {
    const scalars = this.scalarsOf(session);
    const text = JSON.stringify(scalars);
    const view = this.viewOf(session);
    if (text === view.scalars) return;
    this.journal!.append({ t: 's', ...scalars });
    view.scalars = text;
  }

  /** Rebuilds sessions, keys, trajectories and rewards from the journal. */
  private restore(state: RecoveredState): void {
    for (const recovered of state.sessions) {
      const { scalars } = recovered;
      const view: JournaledView = { scalars: JSON.stringify(scalars), rewards: new Map(), ready: new Map() };
      const cacheOf = (ids: string[]): InteractionCache => {
        const cache = new InteractionCache();
        for (const id of ids) {
          const interaction = state.interactions.get(id);
          if (!interaction) continue;
          const reward = recovered.rewards.get(id) ?? null;
          cache.insert({ ...interaction, reward });
          view.rewards.set(id, reward);
        }
        return cache;
      };
      const ready: ReadyTrajectory[] = recovered.ready.map((trajectory) => {
        view.ready.set(trajectory.trajectoryId, trajectory.ids);
        const cache = cacheOf(trajectory.ids);
        // Ready takes no more turns: no room to grow, as when it became ready.
        cache.trim();
        return {
          trajectoryId: trajectory.trajectoryId,
          interactionId: trajectory.interactionId,
          cache,
          createdAt: trajectory.createdAt,
          delivered: scalars.delivered.includes(trajectory.trajectoryId),
        };
      });
      const session = Session.recovered({
        id: scalars.id,
        seedIdentity: scalars.seedIdentity,
        deterministicSampling: scalars.deterministic,
        groupId: scalars.groupId,
        requestIndex: scalars.requestIndex,
        nextTrajectoryId: scalars.nextTrajectoryId,
        pendingReward: scalars.pendingReward,
        active: cacheOf(recovered.active),
        ready,
      });
      this.sessions.set(session.id, session);
      this.views.set(session, view);
      if (scalars.key !== null) {
        this.sessionByKey.set(scalars.key, session.id);
        this.keyBySession.set(session.id, scalars.key);
      }
    }
  }

  /** Rewrites the journal with the live state only: each session's scalars, trajectories and rewards. */
  private compact(): void {
    const started = Date.now();
    this.journal!.compact((write) => {
      for (const session of this.sessions.values()) {
        write({ t: 's', ...this.scalarsOf(session) });
        const emit = (cache: InteractionCache): void => {
          const written = new Set<string>();
          for (const interaction of cache.values()) {
            const base =
              interaction.parentId !== null && written.has(interaction.parentId)
                ? (cache.get(interaction.parentId) ?? null)
                : null;
            write({ t: 'i', s: session.id, i: serializeInteraction(interaction, base) });
            written.add(interaction.id);
            if (interaction.reward !== null)
              write({ t: 'w', s: session.id, id: interaction.id, reward: interaction.reward });
          }
        };
        for (const trajectory of [...session.ready.values()].sort((a, b) => a.trajectoryId - b.trajectoryId)) {
          emit(trajectory.cache);
          write({
            t: 'r',
            s: session.id,
            trajectoryId: trajectory.trajectoryId,
            interactionId: trajectory.interactionId,
            createdAt: trajectory.createdAt,
          });
        }
        emit(session.active);
      }
    });
    this.logger.log({ sessions: this.sessions.size, ms: Date.now() - started }, 'journal compacted');
  }

  get count(): number {
    return this.sessions.size;
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  /** Creates a session for `taskId`, with a fresh key or a reused one (409 if it is still bound to a live session). */
  start(taskId: string, reuseKey: string | null, settings: SessionSettings = {}): { session: Session; apiKey: string } {
    if (reuseKey !== null) {
      if (constantTimeEquals(reuseKey, this.options['admin-api-key'])) {
        throw new AppException(400, ErrorCode.BAD_REQUEST, 'api_key must not be the admin key');
      }
      const boundTo = this.sessionByKey.get(reuseKey);
      const bound = boundTo === undefined ? undefined : this.sessions.get(boundTo);
      // Refreshing a key is allowed once its session has a rewarded trajectory (or is gone); the
      // old session stays exportable by id.
      if (bound && bound.ready.size === 0) {
        throw new AppException(409, ErrorCode.CONFLICT, `API key is already bound to active session ${bound.id}.`);
      }
    }
    let index = 0;
    while (this.sessions.has(`${taskId}-${index}`)) index++;
    const session = new Session(`${taskId}-${index}`, Date.now(), { seedIdentity: taskId, ...settings });
    const apiKey = reuseKey ?? this.freshKey();
    const previous = this.sessionByKey.get(apiKey);
    if (previous !== undefined) this.keyBySession.delete(previous);
    this.sessions.set(session.id, session);
    this.sessionByKey.set(apiKey, session.id);
    this.keyBySession.set(session.id, apiKey);
    this.persist(session);
    // The key moved to the new session: the old one's journaled record must not claim it any more.
    const before = previous === undefined ? undefined : this.sessions.get(previous);
    if (before) this.persist(before);
    return { session, apiKey };
  }

  /** Starts `size` sessions of one task at once; the reused key (if any) goes to the first. All or nothing. */
  startGroup(
    taskId: string,
    size: number,
    reuseKey: string | null,
    settings: SessionSettings = {},
  ): { session: Session; apiKey: string }[] {
    const seedOf = (i: number): SessionSettings =>
      size > 1 ? { ...settings, seedIdentity: `${taskId}:${i}` } : settings;
    const first = this.start(taskId, reuseKey, seedOf(0));
    const group = [first];
    for (let i = 1; i < size; i++) group.push(this.start(taskId, null, seedOf(i)));
    return group;
  }

  /**
   * Every session a router should pin to this data proxy: id, key and group (the HITL session is
   * the admin key's and is announced apart, as `hitl`).
   */
  pinnable(): { sessions: { session_id: string; session_api_key: string; group_id?: string }[]; hitl: boolean } {
    const sessions: { session_id: string; session_api_key: string; group_id?: string }[] = [];
    for (const [id, key] of this.keyBySession) {
      const session = this.sessions.get(id);
      if (!session || id === HITL_SESSION_ID) continue;
      sessions.push({
        session_id: id,
        session_api_key: key,
        ...(session.groupId ? { group_id: session.groupId } : {}),
      });
    }
    return { sessions, hitl: this.sessions.has(HITL_SESSION_ID) };
  }

  /** Session key → session; the admin key → the HITL session (created on demand); else undefined. */
  resolve(token: string | null): Session | undefined {
    const session = this.peek(token);
    if (session || !this.isAdminKey(token)) return session;
    return this.hitl();
  }

  /** The key's session if it exists (the HITL session only once created); never creates one. */
  peek(token: string | null): Session | undefined {
    if (token === null || token.length === 0) return undefined;
    const id = this.sessionByKey.get(token);
    if (id !== undefined) return this.sessions.get(id);
    return this.isAdminKey(token) ? this.sessions.get(HITL_SESSION_ID) : undefined;
  }

  /**
   * Whether the key opens a session (a session key, or the admin key for the HITL session),
   * checked without creating anything: a request rejected afterwards changes nothing.
   */
  accepts(token: string | null): boolean {
    return this.peek(token) !== undefined || this.isAdminKey(token);
  }

  private isAdminKey(token: string | null): boolean {
    return token !== null && token.length > 0 && constantTimeEquals(token, this.options['admin-api-key']);
  }

  hitl(): Session {
    let session = this.sessions.get(HITL_SESSION_ID);
    if (!session) {
      session = new Session(HITL_SESSION_ID);
      this.sessions.set(HITL_SESSION_ID, session);
      this.persist(session);
    }
    return session;
  }

  remove(id: string): boolean {
    const existed = this.sessions.delete(id);
    if (existed) this.journal?.append({ t: 'd', s: id });
    const key = this.keyBySession.get(id);
    if (key !== undefined) {
      this.keyBySession.delete(id);
      this.sessionByKey.delete(key);
    }
    return existed;
  }

  all(): IterableIterator<Session> {
    return this.sessions.values();
  }

  /** Removes sessions idle longer than `ttlMs` that hold nothing a trainer could still want (never the HITL session). */
  removeStale(ttlMs: number, now: number = Date.now()): string[] {
    const removed: string[] = [];
    for (const session of [...this.sessions.values()]) {
      if (session.id === HITL_SESSION_ID || session.ready.size > 0 || session.pendingReward) continue;
      if (now - session.lastAccess > ttlMs) {
        this.remove(session.id);
        removed.push(session.id);
      }
    }
    return removed;
  }

  private freshKey(): string {
    for (;;) {
      const key = randomBytes(32).toString('base64url');
      if (!this.sessionByKey.has(key) && key !== this.options['admin-api-key']) return key;
    }
  }
}
