/**
 * A map bounded by the total size of its values: setting a key makes it the newest, and past
 * `maxSize` the oldest entries go first. A value larger than the whole bound is not kept. For the
 * per-conversation caches of a long-running service (what a conversation's next turn reuses), whose
 * entries are replaced turn by turn and must not grow with the number of conversations.
 */
export class SizedLruMap<K, V> {
  private readonly entries = new Map<K, V>();
  private total = 0;

  constructor(
    private readonly maxSize: number,
    private readonly sizeOf: (value: V) => number,
  ) {}

  /** The sum of the kept values' sizes. */
  get totalSize(): number {
    return this.total;
  }

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  /** Keeps `value` under `key` as the newest entry (the old value goes), then drops the oldest past the bound. */
  set(key: K, value: V): void {
    this.delete(key);
    const size = this.sizeOf(value);
    if (size > this.maxSize) return;
    this.entries.set(key, value);
    this.total += size;
    for (const [oldest, old] of this.entries) {
      if (this.total <= this.maxSize) break;
      this.entries.delete(oldest);
      this.total -= this.sizeOf(old);
    }
  }

  /** Removes `key`'s value and returns it (undefined when there was none). */
  delete(key: K): V | undefined {
    const old = this.entries.get(key);
    if (old === undefined) return undefined;
    this.entries.delete(key);
    this.total -= this.sizeOf(old);
    return old;
  }
}
