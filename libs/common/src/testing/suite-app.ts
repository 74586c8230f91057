import { afterAll, beforeAll } from '@jest/globals';

/**
 * Starts an app (or anything that closes) before the tests of the enclosing `describe` and closes
 * it after them; returns how those tests reach it. One call instead of the same beforeAll/afterAll
 * pair in every controller spec.
 */
export function appForSuite<T extends { close(): Promise<void> }>(
  start: () => Promise<T>,
  timeoutMs = 30_000,
): () => T {
  let app: T | undefined;
  beforeAll(async () => {
    app = await start();
  }, timeoutMs);
  afterAll(async () => {
    await app?.close();
  });
  return () => {
    if (!app) throw new Error('the app is reached before it has started (in a beforeAll, or outside a test)');
    return app;
  };
}
