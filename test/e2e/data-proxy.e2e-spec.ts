// One suite over 300 lines: the data proxy's chat path against real engine-sim processes (both
// protocols) shared by its cases.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'undici';
import { call } from '../support/http.js';
import { postSse } from '../support/sse.js';
import { scrapeMetric } from '../support/metrics.js';
import { sleep } from '../support/wait.js';
import { spawnApp, type SpawnedApp, spawnEngineSim } from '../support/spawn-app.js';
import { spawnDataProxy, startProxySession } from '../support/whole-path.js';

const ADMIN = 'dp-admin-key';
const LONG_TEXT = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
const TOOLS = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'weather',
      parameters: { type: 'object', properties: { city: { type: 'string' } } },
    },
  },
];
const TOOL_CALL_TEXT = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';

interface ChunkEvent {
  choices: { delta: { role?: string; content?: string; tool_calls?: unknown[] }; finish_reason: string | null }[];
  usage?: { completion_tokens: number };
}

function streamedContent(events: unknown[]): string {
  return (events.filter((e) => e !== '[DONE]') as ChunkEvent[]).map((e) => e.choices[0]?.delta.content ?? '').join('');
}

describe('data proxy + engine-sim (real processes)', () => {
  let engine: SpawnedApp;
  let sglangProxy: SpawnedApp;
  let vllmProxy: SpawnedApp;

  beforeAll(async () => {
    engine = await spawnEngineSim(4, ['--mode', 'echo']);
    [sglangProxy, vllmProxy] = await Promise.all([
      spawnApp('data-proxy', ['--admin-api-key', ADMIN, '--backend-addr', engine.url, '--backend-type', 'sglang']),
      spawnApp('data-proxy', ['--admin-api-key', ADMIN, '--backend-addr', engine.url, '--backend-type', 'vllm']),
    ]);
  });

  afterAll(async () => {
    await Promise.all([sglangProxy?.stop(), vllmProxy?.stop()]);
    await engine?.stop();
  });

  const chat = (proxy: SpawnedApp, body: Record<string, unknown>, token: string | null = null) =>
    call('POST', `${proxy.url}/chat/completions`, { body, token });
  /** A metric of the engine (0 before a counter's first increment). */
  const engineMetric = async (name: string, labels: Record<string, string> = {}) => {
    const sample = await scrapeMetric(engine.url, name, { app: 'engine-sim', ...labels });
    return Number.isNaN(sample) ? 0 : sample;
  };

  async function startSession(proxy: SpawnedApp, taskId: string): Promise<{ session_id: string; api_key: string }> {
    const res = await call('POST', `${proxy.url}/rl/start_session`, { body: { task_id: taskId }, token: ADMIN });
    expect(res.status).toBe(201);
    return res.json;
  }

  const inspect = async (proxy: SpawnedApp, sessionId: string) =>
    (await call('GET', `${proxy.url}/rl/sessions/${sessionId}`, { token: ADMIN })).json;

  it.each(['sglang', 'vllm'])('%s: answers a non-streaming chat as chat.completion', async (kind) => {
    const proxy = kind === 'sglang' ? sglangProxy : vllmProxy;
    const res = await chat(proxy, { model: 'test', messages: [{ role: 'user', content: 'Hello there, friend!' }] });
    expect(res.status).toBe(200);
    expect(res.json).toEqual(
      expect.objectContaining({
        object: 'chat.completion',
        model: 'test',
        choices: [
          expect.objectContaining({
            index: 0,
            finish_reason: 'stop',
            message: expect.objectContaining({ role: 'assistant', content: 'Hello there, friend!' }),
          }),
        ],
      }),
    );
    expect(res.json.id).toMatch(/^chatcmpl-/);
    expect(res.json.usage.prompt_tokens).toBeGreaterThan(0);
    expect(res.json.usage.total_tokens).toBe(res.json.usage.prompt_tokens + res.json.usage.completion_tokens);
  });

  it.each(['sglang', 'vllm'])(
    '%s: streams chat.completion.chunk events token by token, then usage and [DONE]',
    async (kind) => {
      const proxy = kind === 'sglang' ? sglangProxy : vllmProxy;
      const stream = await postSse(`${proxy.url}/chat/completions`, {
        messages: [{ role: 'user', content: LONG_TEXT }],
        stream: true,
      });
      expect(stream.status).toBe(200);
      const events = await stream.done;
      expect(events.at(-1)).toBe('[DONE]');
      const chunks = events.slice(0, -1) as ChunkEvent[];
      expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
      expect(chunks.length).toBeGreaterThan(10);
      expect(streamedContent(events)).toBe(LONG_TEXT);
      const last = chunks.at(-1)!;
      expect(last.choices[0].finish_reason).toBe('stop');
      expect(last.usage?.completion_tokens).toBeGreaterThan(10);
      expect(new Set(chunks.map((c) => (c as unknown as { id: string }).id)).size).toBe(1);
    },
  );

  it('records a session chat with exact ids, log-probs and versions; sessionless chats are not kept', async () => {
    const { session_id, api_key } = await startSession(sglangProxy, 'record');
    const res = await chat(sglangProxy, { messages: [{ role: 'user', content: 'Record me please' }] }, api_key);
    const session = await inspect(sglangProxy, session_id);
    expect(session.interactions).toHaveLength(1);
    const recorded = session.interactions[0];
    expect(recorded.interaction_id).toBe(res.json.id);
    expect(recorded.output_ids.at(-1)).toBe(151645);
    expect(recorded.output_ids).toHaveLength(res.json.usage.completion_tokens);
    expect(recorded.prompt_ids).toHaveLength(res.json.usage.prompt_tokens);
    expect(recorded.output_logprobs).toHaveLength(recorded.output_ids.length);
    expect(recorded.output_versions).toEqual(recorded.output_ids.map(() => 0));
    expect(recorded.output_messages).toEqual([{ content: 'Record me please', role: 'assistant' }]);
    const before = (await call('GET', `${sglangProxy.url}/health`)).json.sessions;
    await chat(sglangProxy, { messages: [{ role: 'user', content: 'anonymous' }] }, 'not-a-session-key');
    expect((await call('GET', `${sglangProxy.url}/health`)).json.sessions).toBe(before);
  });

  it.each(['sglang', 'vllm'])(
    '%s: pause → set_version → continue mid-generation gives one uninterrupted answer; versions switch at the resubmit point',
    async (kind) => {
      const proxy = kind === 'sglang' ? sglangProxy : vllmProxy;
      const { session_id, api_key } = await startSession(proxy, `pause-${kind}`);
      const abortsBefore = await engineMetric('engine_requests_finished_total', { reason: 'abort' });
      const pending = chat(proxy, { messages: [{ role: 'user', content: LONG_TEXT }] }, api_key);
      await sleep(120);
      expect((await call('POST', `${proxy.url}/pause_generation`, { token: ADMIN })).json).toEqual({
        status: 'ok',
        paused: true,
      });
      expect((await call('GET', `${proxy.url}/health`)).json.paused).toBe(true);
      await call('POST', `${proxy.url}/set_version`, { body: { version: 1 }, token: ADMIN });
      await sleep(100);
      expect((await call('POST', `${proxy.url}/continue_generation`, { token: ADMIN })).json).toEqual({
        status: 'ok',
        paused: false,
      });
      const res = await pending;
      expect(res.status).toBe(200);
      expect(res.json.choices[0].message.content).toBe(LONG_TEXT);
      expect(res.json.choices[0].finish_reason).toBe('stop');
      expect(await engineMetric('engine_requests_finished_total', { reason: 'abort' })).toBeGreaterThan(abortsBefore);
      const recorded = (await inspect(proxy, session_id)).interactions[0];
      const switchAt = recorded.output_versions.indexOf(1);
      expect(switchAt).toBeGreaterThan(0);
      expect(recorded.output_versions.slice(0, switchAt).every((v: number) => v === 0)).toBe(true);
      expect(recorded.output_versions.slice(switchAt).every((v: number) => v === 1)).toBe(true);
      await call('POST', `${proxy.url}/set_version`, { body: { version: 0 }, token: ADMIN });
    },
  );

  it('a pause mid-stream resumes the same stream after continue', async () => {
    const stream = await postSse(`${sglangProxy.url}/chat/completions`, {
      messages: [{ role: 'user', content: LONG_TEXT }],
      stream: true,
    });
    await sleep(100);
    await call('POST', `${sglangProxy.url}/pause_generation`, { token: ADMIN });
    await sleep(30);
    const during = stream.events.length;
    await sleep(120);
    expect(stream.events.length).toBe(during);
    await call('POST', `${sglangProxy.url}/continue_generation`, { token: ADMIN });
    const events = await stream.done;
    expect(streamedContent(events)).toBe(LONG_TEXT);
  });

  it('round-trips a tool call (engine echo mode), streaming and not, and links the next turn to it', async () => {
    const { session_id, api_key } = await startSession(sglangProxy, 'tools');
    const first = [{ role: 'user', content: TOOL_CALL_TEXT }];
    const res = await chat(sglangProxy, { messages: first, tools: TOOLS }, api_key);
    const message = res.json.choices[0].message;
    expect(res.json.choices[0].finish_reason).toBe('tool_calls');
    expect(message.content).toBe('');
    expect(message.tool_calls).toEqual([
      {
        id: expect.stringMatching(/^call_/),
        type: 'function',
        function: { name: 'get_weather', arguments: '{"city": "Paris"}' },
      },
    ]);
    const second = [...first, message, { role: 'tool', tool_call_id: message.tool_calls[0].id, content: 'sunny' }];
    const followUp = await chat(sglangProxy, { messages: second, tools: TOOLS }, api_key);
    expect(followUp.json.choices[0].message.content).toContain('sunny');
    const session = await inspect(sglangProxy, session_id);
    expect(session.interactions.map((i: { parent_id: string | null }) => i.parent_id)).toEqual([null, res.json.id]);

    const stream = await postSse(`${sglangProxy.url}/chat/completions`, {
      messages: first,
      tools: TOOLS,
      stream: true,
    });
    const events = (await stream.done).slice(0, -1) as ChunkEvent[];
    const toolDeltas = events.flatMap((e) => e.choices[0]?.delta.tool_calls ?? []);
    // Two chunks per call, as OpenAI and AReaL 2.0 stream them (AReaL: test_client_with_tool.py::test_streaming_with_tool_calling).
    expect(toolDeltas).toEqual([
      { index: 0, id: expect.any(String), type: 'function', function: { name: 'get_weather', arguments: '' } },
      { index: 0, function: { arguments: '{"city": "Paris"}' } },
    ]);
    expect(events.at(-1)!.choices[0].finish_reason).toBe('tool_calls');
  });

  it('a client that disconnects aborts the engine request', async () => {
    const huge = Array.from({ length: 600 }, (_, i) => `token${i}`).join(' ');
    const stream = await postSse(`${sglangProxy.url}/chat/completions`, {
      messages: [{ role: 'user', content: huge }],
      stream: true,
    });
    await sleep(150);
    expect(await engineMetric('engine_requests_running')).toBe(1);
    stream.abort();
    await sleep(150);
    expect(await engineMetric('engine_requests_running')).toBe(0);
    const controller = new AbortController();
    const pending = request(`${vllmProxy.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: huge }] }),
      signal: controller.signal,
    }).catch(() => null);
    await sleep(150);
    expect(await engineMetric('engine_requests_running')).toBe(1);
    controller.abort();
    await pending;
    await sleep(150);
    expect(await engineMetric('engine_requests_running')).toBe(0);
  });

  it('reports active requests on /health for the router', async () => {
    await call('POST', `${sglangProxy.url}/set_version`, { body: { version: 0 }, token: ADMIN });
    const pending = chat(sglangProxy, { messages: [{ role: 'user', content: LONG_TEXT }] });
    await sleep(60);
    expect((await call('GET', `${sglangProxy.url}/health`)).json).toEqual(
      expect.objectContaining({ status: 'ok', active_requests: 1, backend: engine.url, version: 0 }),
    );
    await pending;
  });

  it('requires the admin key on every control endpoint', async () => {
    await call('POST', `${sglangProxy.url}/set_version`, { body: { version: 0 }, token: ADMIN });
    for (const path of [
      '/pause_generation',
      '/continue_generation',
      '/set_version',
      '/configure_backend',
      '/configure',
      '/rl/start_session',
    ]) {
      expect((await call('POST', `${sglangProxy.url}${path}`, { body: {} })).status).toBe(401);
      expect((await call('POST', `${sglangProxy.url}${path}`, { body: {}, token: 'wrong' })).status).toBe(403);
    }
    expect((await call('GET', `${sglangProxy.url}/rl/sessions/x`, { token: 'wrong' })).status).toBe(403);
    expect(
      (await call('POST', `${sglangProxy.url}/set_version`, { body: { version: 'abc' }, token: ADMIN })).status,
    ).toBe(400);
    expect((await call('POST', `${sglangProxy.url}/set_version`, { body: {}, token: ADMIN })).status).toBe(400);
    expect((await call('GET', `${sglangProxy.url}/get_version`)).json).toEqual({ version: 0 });
  });

  it('configure_backend swaps the engine without dropping a request in flight', async () => {
    const second = await spawnEngineSim(1, ['--mode', 'echo']);
    try {
      const inflight = chat(vllmProxy, { messages: [{ role: 'user', content: LONG_TEXT }] });
      await sleep(80);
      const swapped = await call('POST', `${vllmProxy.url}/configure_backend`, {
        body: { backend_addr: second.url },
        token: ADMIN,
      });
      expect(swapped.json).toEqual({ status: 'ok', backend_addr: second.url });
      expect((await inflight).json.choices[0].message.content).toBe(LONG_TEXT);
      await chat(vllmProxy, { messages: [{ role: 'user', content: 'to the new engine' }] });
      expect(await scrapeMetric(second.url, 'engine_generated_tokens_total', { app: 'engine-sim' })).toBeGreaterThan(0);
      await call('POST', `${vllmProxy.url}/configure_backend`, { body: { backend_addr: engine.url }, token: ADMIN });
      expect(
        (
          await call('POST', `${vllmProxy.url}/configure_backend`, {
            body: { backend_addr: 'not a url' },
            token: ADMIN,
          })
        ).status,
      ).toBe(400);
    } finally {
      await second.stop();
    }
  });

  it.each([
    ['invalid JSON', '{"messages": [', 400],
    ['a JSON array', '[1, 2]', 400],
    ['no messages', { model: 'x' }, 400],
    ['empty messages', { messages: [] }, 400],
    ['an unknown role', { messages: [{ role: 'robot', content: 'x' }] }, 400],
    ['wrong types', { messages: [{ role: 'user', content: 'x' }], temperature: 'warm' }, 400],
    ['n > 1', { messages: [{ role: 'user', content: 'x' }], n: 3 }, 400],
    ['both token limits', { messages: [{ role: 'user', content: 'x' }], max_tokens: 5, max_completion_tokens: 5 }, 400],
    ['a prompt longer than the context', { messages: [{ role: 'user', content: 'x '.repeat(40_000) }] }, 400],
  ])('answers %s with a 4xx and records nothing', async (_label, body, status) => {
    const { session_id, api_key } = await startSession(sglangProxy, 'bad');
    const res = await call('POST', `${sglangProxy.url}/chat/completions`, { body, token: api_key });
    expect(res.status).toBe(status);
    expect(res.json).toEqual(expect.objectContaining({ detail: expect.any(String), code: expect.any(String) }));
    expect((await inspect(sglangProxy, session_id)).interactions).toHaveLength(0);
  });
});

describe('data proxy: failing engines and limits', () => {
  let garbage: Server;
  let garbageUrl: string;

  beforeAll(async () => {
    garbage = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"this is": "not what an engine says"}');
    });
    await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', () => resolve()));
    garbageUrl = `http://127.0.0.1:${(garbage.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => garbage.close(() => resolve()));
  });

  it('answers 502 for an engine that is down or answers garbage, and keeps serving', async () => {
    const down = await spawnApp('data-proxy', [
      '--admin-api-key',
      ADMIN,
      '--backend-addr',
      'http://127.0.0.1:1',
      '--request-timeout',
      '2',
    ]);
    const junk = await spawnApp('data-proxy', [
      '--admin-api-key',
      ADMIN,
      '--backend-addr',
      garbageUrl,
      '--max-body-bytes',
      '65536',
    ]);
    try {
      const refused = await call('POST', `${down.url}/chat/completions`, {
        body: { messages: [{ role: 'user', content: 'hi' }] },
      });
      expect(refused.status).toBe(502);
      expect(refused.json.code).toBe('UPSTREAM_UNAVAILABLE');
      const streamRefused = await call('POST', `${down.url}/chat/completions`, {
        body: { messages: [{ role: 'user', content: 'hi' }], stream: true },
      });
      expect(streamRefused.status).toBe(502);
      const bad = await call('POST', `${junk.url}/chat/completions`, {
        body: { messages: [{ role: 'user', content: 'hi' }] },
      });
      expect(bad.status).toBe(502);
      expect(bad.json.code).toBe('ENGINE_PROTOCOL');
      const oversized = await call('POST', `${junk.url}/chat/completions`, {
        body: { messages: [{ role: 'user', content: 'x'.repeat(100_000) }] },
      });
      expect(oversized.status).toBe(413);
      expect((await call('POST', `${down.url}/pause_generation`, { token: ADMIN })).status).toBe(502);
      expect((await call('GET', `${down.url}/health`)).json.paused).toBe(false);
      expect((await call('GET', `${junk.url}/health`)).status).toBe(200);
    } finally {
      await Promise.all([down.stop(), junk.stop()]);
    }
  });
});

describe('data proxy: concat chat template', () => {
  it('continues the previous turn token for token', async () => {
    const engine = await spawnApp('engine-sim', ['--mode', 'echo', '--decode-ms-per-token', '0']);
    const proxy = await spawnDataProxy(ADMIN, engine.url, ['--chat-template-type', 'concat']);
    try {
      const { session_id, api_key } = await startProxySession(proxy.url, ADMIN, 'concat');
      const first = [{ role: 'user', content: 'First question' }];
      const one = await call('POST', `${proxy.url}/chat/completions`, { body: { messages: first }, token: api_key });
      const second = [...first, one.json.choices[0].message, { role: 'user', content: 'Second question' }];
      await call('POST', `${proxy.url}/chat/completions`, { body: { messages: second }, token: api_key });
      const [a, b] = (await call('GET', `${proxy.url}/rl/sessions/${session_id}`, { token: ADMIN })).json.interactions;
      expect(b.parent_id).toBe(a.interaction_id);
      expect(b.prompt_ids.slice(0, a.prompt_ids.length + a.output_ids.length)).toEqual([
        ...a.prompt_ids,
        ...a.output_ids,
      ]);
      expect(b.chat_template_type).toBe('concat');
    } finally {
      await proxy.stop();
      await engine.stop();
    }
  });
});
