import { describe, expect, it } from '@jest/globals';
import { KeyedWaiters } from './keyed-waiters.js';

const never = new AbortController().signal;

describe(KeyedWaiters.name, () => {
  it('wakes the waiters of a key with its value: all of them, or the first only', async () => {
    const waiters = new KeyedWaiters<string, number>();
    const a = waiters.wait('k', 1000, never);
    const b = waiters.wait('k', 1000, never);
    expect(waiters.wakeFirst('k', 1)).toBe(true);
    expect(await a).toBe(1);
    expect(waiters.wakeAll('k', 2)).toBe(true);
    expect(await b).toBe(2);
    expect(waiters.wakeAll('k', 3)).toBe(false);
    expect(waiters.wakeFirst('other', 3)).toBe(false);
  });

  it('gives null at the timeout or when the signal aborts, and forgets the waiter', async () => {
    const waiters = new KeyedWaiters<string, number>();
    expect(await waiters.wait('k', 10, never)).toBeNull();
    const abort = new AbortController();
    const pending = waiters.wait('k', 1000, abort.signal);
    abort.abort();
    expect(await pending).toBeNull();
    expect(waiters.wakeAll('k', 1)).toBe(false);
    expect(await waiters.wait('k', 1000, abort.signal)).toBeNull();
  });
});
