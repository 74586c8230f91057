import type { PinEventDto } from '@app/contracts';

/** What a gateway's pin cache must drop: some keys (`invalidate`), or everything (`flush`). */
export type PinEvent = PinEventDto & { type: 'invalidate' | 'flush' };

/**
 * The sequence of pin changes. Every change (a key's pin moved or removed, a worker's health
 * flipped, a worker left) gets the next sequence number and goes to every subscriber. `/route`
 * answers carry the current number, so a gateway only caches an answer once it has seen every
 * change up to it: a revoked or moved pin can never be served from a cache.
 */
export class PinEvents {
  seq = 0;
  private readonly subscribers = new Set<(event: PinEvent) => void>();

  invalidate(keys: string[]): void {
    if (keys.length === 0) return;
    this.publish({ type: 'invalidate', seq: ++this.seq, keys });
  }

  flush(): void {
    this.publish({ type: 'flush', seq: ++this.seq });
  }

  subscribe(subscriber: (event: PinEvent) => void): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  private publish(event: PinEvent): void {
    for (const subscriber of this.subscribers) subscriber(event);
  }
}
