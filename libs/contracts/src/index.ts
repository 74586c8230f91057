/**
 * `@app/contracts`: one DTO class per wire shape of every service. The server validates and
 * documents with it (class-validator + Swagger metadata); the client that calls the server types
 * what it sends and parses with the same class. No wire shape is declared anywhere else.
 */
export * from './common/body-rules.js';
export * from './common/errors.dto.js';
export * from './common/api-dialect.js';
export * from './common/agent-endpoint.js';
export * from './router/models.dto.js';
export * from './router/route.dto.js';
export * from './router/sessions.dto.js';
export * from './router/workers.dto.js';
export * from './router/router.dto.js';
export * from './openai/chat.dto.js';
export * from './openai/responses.dto.js';
export * from './openai/completions.dto.js';
export * from './anthropic/messages.dto.js';
export * from './data-proxy/sessions.dto.js';
export * from './data-proxy/data-proxy.dto.js';
export * from './data-proxy/generate.dto.js';
export * from './data-proxy/export.dto.js';
export * from './gateway/gateway.dto.js';
export * from './controller/control.dto.js';
export * from './controller/rollout.dto.js';
export * from './controller/dashboard.dto.js';
export * from './engine/sampling.dto.js';
export * from './engine/sglang.dto.js';
export * from './engine/vllm.dto.js';
export * from './engine/engine-sim.dto.js';
export * from './common/field-handling.js';
export * from './openai/chat-fields.js';
export * from './openai/completions-fields.js';
export * from './openai/responses-fields.js';
export * from './anthropic/messages-fields.js';
