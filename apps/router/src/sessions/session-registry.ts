/** A group of sessions created together and pinned to one worker (later upstream versions). */
export interface SessionGroup {
  groupId: string;
  workerAddr: string;
  sessionIds: string[];
  createdAt: number;
}

/**
 * Session pins: session key → worker, session id → worker, and the key ↔ id pairing.
 *
 * Unlike the reference, an upsert removes the previous mappings in both directions, so a key and
 * an id always pair one to one: re-registering a key under a new id cannot leave the old id
 * routable, and revoking an old id can never delete a key that now belongs to another session.
 */
export class SessionRegistry {
  private readonly workerByKey = new Map<string, string>();
  private readonly workerById = new Map<string, string>();
  private readonly keyById = new Map<string, string>();
  private readonly idByKey = new Map<string, string>();
  private readonly groups = new Map<string, SessionGroup>();
  private readonly groupBySessionId = new Map<string, string>();
  /** Told about every key whose pin changed or vanished (gateways drop it from their pin caches). */
  onKeysChanged: (keys: string[]) => void = () => undefined;

  register(key: string, sessionId: string, workerAddr: string): void {
    const previousId = this.idByKey.get(key);
    if (previousId !== undefined && previousId !== sessionId) this.revokeSession(previousId);
    const previousKey = this.keyById.get(sessionId);
    if (previousKey !== undefined && previousKey !== key) {
      this.workerByKey.delete(previousKey);
      this.idByKey.delete(previousKey);
    }
    const moved = this.workerByKey.get(key);
    this.workerByKey.set(key, workerAddr);
    this.workerById.set(sessionId, workerAddr);
    if (moved !== undefined && moved !== workerAddr) this.onKeysChanged([key]);
    if (previousKey !== undefined && previousKey !== key) this.onKeysChanged([previousKey]);
    this.keyById.set(sessionId, key);
    this.idByKey.set(key, sessionId);
  }

  lookupByKey(key: string): string | null {
    return this.workerByKey.get(key) ?? null;
  }

  lookupById(sessionId: string): string | null {
    return this.workerById.get(sessionId) ?? null;
  }

  idForKey(key: string): string | null {
    return this.idByKey.get(key) ?? null;
  }

  keyForId(sessionId: string): string | null {
    return this.keyById.get(sessionId) ?? null;
  }

  hasGroup(groupId: string): boolean {
    return this.groups.has(groupId);
  }

  getGroup(groupId: string): SessionGroup | null {
    return this.groups.get(groupId) ?? null;
  }

  /** Records a group whose sessions were registered with {@link register}. */
  registerGroup(group: SessionGroup): void {
    this.groups.set(group.groupId, group);
    for (const sessionId of group.sessionIds) this.groupBySessionId.set(sessionId, group.groupId);
  }

  /** Removes a session's id and key. Returns false for an unknown id. */
  revokeSession(sessionId: string): boolean {
    if (!this.workerById.has(sessionId)) return false;
    this.workerById.delete(sessionId);
    const key = this.keyById.get(sessionId);
    this.keyById.delete(sessionId);
    if (key !== undefined) {
      this.workerByKey.delete(key);
      this.idByKey.delete(key);
      this.onKeysChanged([key]);
    }
    const groupId = this.groupBySessionId.get(sessionId);
    if (groupId !== undefined) {
      this.groupBySessionId.delete(sessionId);
      const group = this.groups.get(groupId);
      if (group) {
        group.sessionIds = group.sessionIds.filter((id) => id !== sessionId);
        if (group.sessionIds.length === 0) this.groups.delete(groupId);
      }
    }
    return true;
  }

  /** Removes a group and every session in it. Returns how many sessions were removed, or -1 for an unknown group. */
  revokeGroup(groupId: string): number {
    const group = this.groups.get(groupId);
    if (!group) return -1;
    let removed = 0;
    for (const sessionId of [...group.sessionIds]) if (this.revokeSession(sessionId)) removed++;
    this.groups.delete(groupId);
    return removed;
  }

  /** Removes every session pinned to `workerAddr`; returns the number of session keys removed. */
  revokeByWorker(workerAddr: string): number {
    let keys = 0;
    for (const [sessionId, addr] of [...this.workerById]) {
      if (addr !== workerAddr) continue;
      if (this.keyById.has(sessionId)) keys++;
      this.revokeSession(sessionId);
    }
    // Keys without an id cannot exist (register pairs them), but be exhaustive.
    for (const [key, addr] of [...this.workerByKey]) {
      if (addr === workerAddr) {
        this.workerByKey.delete(key);
        this.idByKey.delete(key);
        this.onKeysChanged([key]);
        keys++;
      }
    }
    for (const [groupId, group] of [...this.groups]) {
      if (group.workerAddr === workerAddr) this.groups.delete(groupId);
    }
    return keys;
  }

  /** Number of registered sessions (the admin key's HITL pin counts as one). */
  /** Sessions pinned to each worker (metrics: sessions per data proxy). */
  countByWorker(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const worker of this.workerById.values()) counts.set(worker, (counts.get(worker) ?? 0) + 1);
    return counts;
  }

  count(): number {
    return this.workerByKey.size;
  }

  groupCount(): number {
    return this.groups.size;
  }
}
