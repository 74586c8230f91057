import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { APP_OPTIONS, AppException, constantTimeEquals, ErrorCode } from '@app/common';
import type { DataProxyOptions } from '../config/data-proxy-options.js';
import { Session } from './session.js';

export { Session } from './session.js';

/** The persistent human-in-the-loop session the admin key maps to. */
export const HITL_SESSION_ID = '__hitl__';

/**
 * Sessions and their keys (spec §4): `task_id-idx` ids, fresh opaque keys, the admin key's HITL
 * session. Every method is synchronous, so concurrent requests see consistent state.
 */
@Injectable()
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly sessionByKey = new Map<string, string>();
  private readonly keyBySession = new Map<string, string>();

  constructor(@Inject(APP_OPTIONS) private readonly options: DataProxyOptions) {}

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
    }
    return session;
  }

  remove(id: string): boolean {
    const existed = this.sessions.delete(id);
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
