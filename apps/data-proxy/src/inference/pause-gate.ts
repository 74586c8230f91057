/**
 * The pause flag shared by every generation of the process. Waiting is event driven: a parked
 * request awaits a promise that `open()` resolves, so all parked requests resubmit at once on
 * continue (no sleep-polling).
 */
export class PauseGate {
  private closed = false;
  private opened: Promise<void> = Promise.resolve();
  private release: () => void = () => undefined;
  /** Bumped on every pause, so a generation can tell that a pause happened since it dispatched. */
  epoch = 0;

  get isPaused(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.epoch++;
    this.opened = new Promise<void>((resolve) => (this.release = resolve));
  }

  open(): void {
    if (!this.closed) return;
    this.closed = false;
    this.release();
  }

  /** Resolves immediately when open, else when `open()` is called (or `signal` aborts). */
  waitUntilOpen(signal?: AbortSignal): Promise<void> {
    if (!this.closed) return Promise.resolve();
    if (!signal) return this.opened;
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      void this.opened.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }
}
