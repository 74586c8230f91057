/**
 * `@app/common/lite`: the helpers of `@app/common` that need nothing but Node, for programs that
 * must start fast (the `rollout` CLI answers in ~0.1 s; `@app/common` loads Nest, Fastify and
 * Swagger, ≈ 1.2 s).
 */
export { DEFAULT_ADMIN_API_KEY } from './config/default-admin-key.js';
export { freePort } from './http-server/free-port.js';
export { LISTENING_MESSAGE, listeningPort } from './bootstrap/listening-line.js';
export { SizedLruMap } from './collections/sized-lru-map.js';
