/** DI token of the process-wide undici dispatcher (an `Agent`). */
export const HTTP_DISPATCHER = Symbol('HTTP_DISPATCHER');

/** Pool settings, taken from the app's `--http-*` options. */
export interface HttpClientOptions {
  connectionsPerOrigin: number;
  keepAliveTimeoutMs: number;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}
