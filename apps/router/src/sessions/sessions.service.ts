import { Injectable } from '@nestjs/common';
import { AppException, ErrorCode } from '@app/common';
import { RouterState } from '../router-state.js';
import {
  HITL_SESSION_ID,
  type RegisterSessionRequestDto,
  type RegisterSessionResponseDto,
  type RemoveSessionRequestDto,
  type RemoveSessionResponseDto,
  type RestoreSessionsRequestDto,
  type RestoreSessionsResponseDto,
} from '@app/contracts';

function badRequest(message: string): AppException {
  return new AppException(422, ErrorCode.VALIDATION_FAILED, message);
}

@Injectable()
export class SessionsService {
  constructor(private readonly state: RouterState) {}

  /**
   * Pins session(s) to a worker, taking one capacity permit per session (none when permits are
   * off). Everything is validated before a permit is taken, and the whole registration is applied
   * at once or not at all.
   */
  register(body: RegisterSessionRequestDto): RegisterSessionResponseDto {
    const sessions = body.sessions?.map((s) => ({ key: s.session_api_key, id: s.session_id })) ?? [
      { key: body.session_api_key as string, id: body.session_id as string },
    ];
    const ids = new Set<string>();
    const keys = new Set<string>();
    for (const session of sessions) {
      if (ids.has(session.id)) throw badRequest(`Duplicate session_id '${session.id}' in sessions`);
      if (keys.has(session.key)) throw badRequest('Duplicate session_api_key in sessions');
      ids.add(session.id);
      keys.add(session.key);
      if (session.id === HITL_SESSION_ID) throw badRequest(`session_id '${HITL_SESSION_ID}' is reserved`);
      if (this.state.hitl.isKey(session.key)) {
        throw badRequest('session_api_key must not be the admin key');
      }
    }
    if (!this.state.workers.getByAddr(body.worker_addr)) {
      throw new AppException(404, ErrorCode.WORKER_NOT_FOUND, `Worker ${body.worker_addr} is not registered`);
    }
    const groupId = body.group_id;
    if (groupId !== undefined && this.state.sessions.hasGroup(groupId)) {
      throw new AppException(409, ErrorCode.CONFLICT, `Group '${groupId}' is already registered`);
    }
    if (!this.state.capacity.tryAcquire(sessions.length)) {
      throw new AppException(429, ErrorCode.NO_CAPACITY, 'No available capacity to start a new session');
    }
    for (const session of sessions) this.state.sessions.register(session.key, session.id, body.worker_addr);
    if (groupId !== undefined) {
      this.state.sessions.registerGroup({
        groupId,
        workerAddr: body.worker_addr,
        sessionIds: sessions.map((s) => s.id),
        createdAt: Date.now(),
      });
    }
    return {
      status: 'ok',
      ...(groupId !== undefined ? { group_id: groupId } : {}),
      capacity: this.state.capacity.capacity,
    };
  }

  /**
   * Pins a data proxy's live sessions again after the router lost them (a restart). The data proxy
   * is the source of truth; a session whose key or id is already pinned to another worker is left
   * alone and reported. No capacity permits are taken: they were granted before the restart (the
   * trainer's next grants refill the budget; see docs/DEPLOYMENT.md).
   */
  restore(body: RestoreSessionsRequestDto): RestoreSessionsResponseDto {
    const addr = body.worker_addr;
    if (!this.state.workers.getByAddr(addr)) {
      throw new AppException(404, ErrorCode.WORKER_NOT_FOUND, `Worker ${addr} is not registered`);
    }
    const conflicts: string[] = [];
    const groups = new Map<string, string[]>();
    let restored = 0;
    for (const s of body.sessions) {
      if (s.session_id === HITL_SESSION_ID || this.state.hitl.isKey(s.session_api_key)) {
        conflicts.push(s.session_id);
        continue;
      }
      const byKey = this.state.sessions.lookupByKey(s.session_api_key);
      const byId = this.state.sessions.lookupById(s.session_id);
      if ((byKey !== null && byKey !== addr) || (byId !== null && byId !== addr)) {
        conflicts.push(s.session_id);
        continue;
      }
      this.state.sessions.register(s.session_api_key, s.session_id, addr);
      restored++;
      if (s.group_id !== undefined) groups.set(s.group_id, [...(groups.get(s.group_id) ?? []), s.session_id]);
    }
    for (const [groupId, sessionIds] of groups) {
      const known = this.state.sessions.getGroup(groupId);
      if (known && known.workerAddr !== addr) continue;
      const ids = [...new Set([...(known?.sessionIds ?? []), ...sessionIds])];
      this.state.sessions.registerGroup({
        groupId,
        workerAddr: addr,
        sessionIds: ids,
        createdAt: known?.createdAt ?? Date.now(),
      });
    }
    let hitl = this.state.hitl.workerAddr === addr;
    if (body.hitl === true && this.state.hitl.workerAddr === null) {
      this.state.hitl.pin(addr);
      hitl = true;
    }
    return { status: 'ok', restored, conflicts, hitl };
  }

  remove(body: RemoveSessionRequestDto): RemoveSessionResponseDto {
    // Without enforced permits a session took none: there is nothing to give back.
    const release = body.release_capacity === true && this.state.capacity.enforced;
    if (body.group_id !== undefined) {
      const removed = this.state.sessions.revokeGroup(body.group_id);
      if (release && removed > 0) this.state.capacity.release(removed);
      return { status: 'ok', removed: removed > 0, sessions_removed: Math.max(removed, 0) };
    }
    if (body.session_id === undefined) throw badRequest("Either 'session_id' or 'group_id' must be provided");
    const key = this.state.sessions.keyForId(body.session_id);
    if (key !== null && this.state.hitl.isKey(key)) {
      return { status: 'ok', removed: false, persistent: true };
    }
    const removed = this.state.sessions.revokeSession(body.session_id);
    if (release && removed) this.state.capacity.release(1);
    return { status: 'ok', removed, persistent: false };
  }
}
