import type { MockPool } from 'undici';
import { startInProcess, type InjectedResponse, type InProcessApp } from '@app/common/testing';
import { DATA_PROXY_APP } from './data-proxy.app.js';

export const ADMIN = 'data-proxy-admin';
export const ENGINE = 'http://engine.test:30000';
const json = { headers: { 'content-type': 'application/json' } };

/** SGLang's `/generate` answer for these output tokens (with log-probs, as the data proxy asks). */
export function generated(tokens: number[]) {
  return {
    text: '',
    output_ids: tokens,
    meta_info: {
      id: 'rid',
      finish_reason: { type: 'stop' },
      prompt_tokens: 5,
      completion_tokens: tokens.length,
      weight_version: '0',
      output_token_logprobs: tokens.map((t, i) => [-0.1 * (i + 1), t, null]),
    },
  };
}

export interface TestDataProxy {
  app: InProcessApp;
  /** The SGLang engine behind it. */
  engine: MockPool;
  /** Every engine call `engineReplies` answered, in order, with its parsed body. */
  engineCalls: { path: string; body: unknown }[];
  /** Answers the next `times` POSTs to `path` on the engine with 200 `reply`. */
  engineReplies(path: string, reply: unknown, times?: number): void;
  /** A call with the admin key. */
  admin(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown): Promise<InjectedResponse>;
  /** Starts a session and chats once in it (the engine answers `tokens`): its id and key. */
  oneTurnSession(tokens?: number[]): Promise<{ sessionId: string; key: string }>;
  close(): Promise<void>;
}

/**
 * The data proxy in-process through Fastify's inject: the real module with the real Qwen3
 * tokenizer and chat template; the SGLang engine behind it is an undici MockAgent.
 */
export async function startDataProxy(): Promise<TestDataProxy> {
  const app = await startInProcess(DATA_PROXY_APP, [
    '--admin-api-key',
    ADMIN,
    '--backend-addr',
    ENGINE,
    '--context-length',
    '4096',
  ]);
  const engine = app.upstream.get<MockPool>(ENGINE);
  engine
    .intercept({ path: '/get_server_info', method: 'GET' })
    .reply(200, { enable_memory_saver: true }, json)
    .persist();
  engine
    .intercept({ path: '/v1/models', method: 'GET' })
    .reply(200, { object: 'list', data: [{ id: 'm', max_model_len: 4096 }] }, json)
    .persist();
  const engineCalls: { path: string; body: unknown }[] = [];
  const proxy: TestDataProxy = {
    app,
    engine,
    engineCalls,
    engineReplies(path, reply, times = 1) {
      engine
        .intercept({ path, method: 'POST' })
        .reply((options) => {
          engineCalls.push({ path, body: JSON.parse(typeof options.body === 'string' ? options.body : 'null') });
          return { statusCode: 200, data: reply as object, responseOptions: json };
        })
        .times(times);
    },
    admin: (method, url, body) => app.request(method, url, { body, token: ADMIN }),
    async oneTurnSession(tokens = [9707, 0]) {
      const started = await proxy.admin('POST', '/rl/start_session', { task_id: 'task' });
      const { session_id: sessionId, api_key: key } = started.json as { session_id: string; api_key: string };
      proxy.engineReplies('/generate', generated(tokens));
      const chat = await app.request('POST', '/v1/chat/completions', {
        body: { messages: [{ role: 'user', content: 'Hello' }], max_tokens: 8 },
        token: key,
      });
      if (chat.status !== 200) throw new Error(`the chat turn answered ${chat.status}: ${chat.text}`);
      return { sessionId, key };
    },
    close: () => app.close(),
  };
  return proxy;
}
