/**
 * Callers waiting for a value under a key (a task id, a session id), each with its own timeout
 * and abort signal, woken by whoever produces the value. No polling, and a waiter that gives up
 * leaves nothing behind.
 */
export class KeyedWaiters<K, V> {
  private readonly waiters = new Map<K, Set<(value: V) => void>>();

  /** Resolves with the value given to `wake*` for this key, or null at the timeout or abort. */
  wait(key: K, timeoutMs: number, signal: AbortSignal): Promise<V | null> {
    if (signal.aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      const set = this.waiters.get(key) ?? new Set();
      this.waiters.set(key, set);
      const finish = (value: V | null): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', leave);
        set.delete(wake);
        if (set.size === 0 && this.waiters.get(key) === set) this.waiters.delete(key);
        resolve(value);
      };
      const wake = (value: V): void => finish(value);
      const leave = (): void => finish(null);
      const timer = setTimeout(leave, timeoutMs);
      signal.addEventListener('abort', leave, { once: true });
      set.add(wake);
    });
  }

  /** Wakes every waiter of the key; false when nobody waited. */
  wakeAll(key: K, value: V): boolean {
    const set = this.waiters.get(key);
    if (!set || set.size === 0) return false;
    for (const wake of [...set]) wake(value);
    return true;
  }

  /** Wakes the longest-waiting waiter of the key only (the value is theirs); false when nobody waited. */
  wakeFirst(key: K, value: V): boolean {
    const set = this.waiters.get(key);
    const [first] = set ?? [];
    if (!first) return false;
    first(value);
    return true;
  }
}
