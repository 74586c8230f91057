import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { APP_OPTIONS, AppException, constantTimeEquals, ErrorCode } from '@app/common';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import {
  serializeInteraction,
  SessionJournal,
  type RecoveredState,
  type SessionRecord,
} from '../persistence/session-journal.js';
import { InteractionCache, type Interaction } from './interaction.js';
import { Session } from './session.js';

export { Session } from './session.js';

/** The persistent human-in-the-loop session the admin key maps to. */
export const HITL_SESSION_ID = '__hitl__';

/**
 * Sessions and their keys (spec §4): `task_id-idx` ids, fresh opaque keys, the admin key's HITL
 * session. Every method is synchronous, so concurrent requests see consistent state.
 */
@Injectable()
export class SessionStore implements OnApplicationShutdown {
  private readonly logger = new Logger(SessionStore.name);
  private readonly sessions = new Map<string, Session>();
  private readonly sessionByKey = new Map<string, string>();
  private readonly keyBySession = new Map<string, string>();
  /** With `--state-dir`: every change is journaled, and a restart recovers it. */
  private readonly journal: SessionJournal | null = null;

  constructor(@Inject(APP_OPTIONS) private readonly options: DataProxyOptions) {
    const dir = options['state-dir'];
    if (!dir) return;
    const { journal, state } = SessionJournal.open(dir, {
      compactBytes: options['state-compact-bytes'],
      fsync: options['state-fsync'],
    });
    this.journal = journal;
    this.restore(state);
    this.logger.log(
      {
        stateDir: dir,
        sessions: state.sessions.length,
        interactions: state.interactions.size,
        tornBytesDropped: state.tornBytes,
      },
      'sessions recovered from the journal',
    );
  }

  onApplicationShutdown(): void {
    this.journal?.close();
  }

  /** Records a completed interaction in the session's active trajectory (journaled before the client hears of it). */
  record(session: Session, interaction: Interaction): void {
    session.active.insert(interaction);
    session.touch();
    this.journal?.appendInteraction(session.id, interaction);
    this.persist(session);
  }

  /** Journals the session's current state (after a reward, a ready transition, an export, …). */
  persist(session: Session): void {
    if (!this.journal || this.sessions.get(session.id) !== session) return;
    this.journal.appendState(this.recordOf(session));
    if (this.journal.wantsCompaction) this.compact();
  }

  private recordOf(session: Session): SessionRecord {
    const rewards: Record<string, number> = {};
    const caches = [session.active, ...[...session.ready.values()].map((r) => r.cache)];
    for (const cache of caches) for (const i of cache.values()) if (i.reward !== null) rewards[i.id] = i.reward;
    return {
      id: session.id,
      key: this.keyBySession.get(session.id) ?? null,
      seedIdentity: session.seedIdentity,
      deterministic: session.deterministicSampling,
      groupId: session.groupId,
      requestIndex: session.requestIndex,
      nextTrajectoryId: session.nextTrajectoryId,
      active: [...session.active.values()].map((i) => i.id),
      ready: [...session.ready.values()].map((r) => ({
        trajectoryId: r.trajectoryId,
        interactionId: r.interactionId,
        ids: [...r.cache.values()].map((i) => i.id),
        createdAt: r.createdAt,
        delivered: r.callback.delivered,
      })),
      rewards,
      pendingReward: session.pendingReward,
    };
  }

  /** Rebuilds sessions, keys, trajectories and rewards from the journal. */
  private restore(state: RecoveredState): void {
    const cacheOf = (ids: string[], rewards: Record<string, number>): InteractionCache => {
      const cache = new InteractionCache();
      for (const id of ids) {
        const interaction = state.interactions.get(id);
        if (interaction) cache.insert({ ...interaction, reward: rewards[id] ?? null });
      }
      return cache;
    };
    for (const record of state.sessions) {
      const session = new Session(record.id);
      session.seedIdentity = record.seedIdentity;
      session.deterministicSampling = record.deterministic;
      session.groupId = record.groupId;
      session.requestIndex = record.requestIndex;
      session.nextTrajectoryId = record.nextTrajectoryId;
      session.pendingReward = record.pendingReward;
      session.active = cacheOf(record.active, record.rewards);
      for (const ready of record.ready)
        session.ready.set(ready.trajectoryId, {
          trajectoryId: ready.trajectoryId,
          interactionId: ready.interactionId,
          cache: cacheOf(ready.ids, record.rewards),
          createdAt: ready.createdAt,
          callback: { delivered: ready.delivered, inFlight: false, attempts: 0, nextAttemptAt: 0 },
        });
      this.sessions.set(session.id, session);
      if (record.key !== null) {
        this.sessionByKey.set(record.key, session.id);
        this.keyBySession.set(session.id, record.key);
      }
    }
  }

  private compact(): void {
    const journal = this.journal!;
    const started = Date.now();
    journal.compact((write) => {
      for (const session of this.sessions.values()) {
        const caches = [session.active, ...[...session.ready.values()].map((r) => r.cache)];
        for (const cache of caches)
          for (const interaction of cache.values())
            write({ t: 'i', s: session.id, i: serializeInteraction(interaction) });
        write({ t: 's', ...this.recordOf(session) });
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
  start(taskId: string, reuseKey: string | null): { session: Session; apiKey: string } {
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
    const session = new Session(`${taskId}-${index}`);
    session.seedIdentity = taskId;
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
  startGroup(taskId: string, size: number, reuseKey: string | null): { session: Session; apiKey: string }[] {
    const first = this.start(taskId, reuseKey);
    const group = [first];
    for (let i = 1; i < size; i++) group.push(this.start(taskId, null));
    if (size > 1) group.forEach((member, i) => (member.session.seedIdentity = `${taskId}:${i}`));
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
    if (existed) this.journal?.appendDelete(id);
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
