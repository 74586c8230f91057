// One suite over 300 lines: the data proxy against engine-sim in each real-engine mode (the
// behaviours that would corrupt training data), one process pair per mode.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { call } from '../support/http.js';
import { postSse } from '../support/sse.js';
import { sleep } from '../support/wait.js';
import { spawnApp, spawnLocalStack, type SpawnedApp, spawnEngineSim } from '../support/spawn-app.js';
import { metricValue } from '../support/metrics.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The data proxy against engine-sim in the modes that copy how real SGLang and vLLM behave
 * (docs/ENGINES.md). Each `defect N` case failed on the data proxy before it learned the real
 * engines' behaviour; the engine-sim flags are the real engines' own switches.
 */

const ADMIN = 'real-engines-admin';
const LONG_ANSWER = ['--min-output-tokens', '400', '--max-output-tokens', '400'];

interface ChatChunk {
  choices: { delta: { content?: string }; finish_reason: string | null }[];
  error?: unknown;
}

async function startSession(proxy: SpawnedApp, taskId: string): Promise<{ session_id: string; api_key: string }> {
  const res = await call('POST', `${proxy.url}/rl/start_session`, { body: { task_id: taskId }, token: ADMIN });
  expect(res.status).toBe(201);
  return res.json;
}

const interactions = async (proxy: SpawnedApp, sessionId: string): Promise<any[]> =>
  (await call('GET', `${proxy.url}/rl/sessions/${sessionId}`, { token: ADMIN })).json.interactions;

const chat = (proxy: SpawnedApp, body: Record<string, unknown>, token: string | null = null) =>
  call('POST', `${proxy.url}/chat/completions`, {
    body: { messages: [{ role: 'user', content: 'Hi' }], ...body },
    token,
  });

const injectFaults = async (engine: SpawnedApp, faults: unknown[]) =>
  expect((await call('POST', `${engine.url}/engine_sim/faults`, { body: { faults } })).status).toBe(200);

const control = (proxy: SpawnedApp, path: string, body: unknown = {}) =>
  call('POST', `${proxy.url}${path}`, { body, token: ADMIN });

function proxyFor(engine: SpawnedApp, type: 'sglang' | 'vllm', extra: string[] = []): Promise<SpawnedApp> {
  return spawnApp('data-proxy', [
    '--admin-api-key',
    ADMIN,
    '--backend-addr',
    engine.url,
    '--backend-type',
    type,
    ...extra,
  ]);
}

describe('real engines: request errors and sampling evidence (engine-sim --enable-fault-injection)', () => {
  let engine: SpawnedApp;
  let sglang: SpawnedApp;
  let vllm: SpawnedApp;

  beforeAll(async () => {
    engine = await spawnEngineSim(1, ['--enable-fault-injection']);
    [sglang, vllm] = await Promise.all([proxyFor(engine, 'sglang'), proxyFor(engine, 'vllm')]);
  });

  afterAll(async () => {
    await Promise.all([sglang?.stop(), vllm?.stop()]);
    await engine?.stop();
  });

  it.each([false, true])(
    'defect 1: an SGLang request error (abort with status_code 400) reaches the agent at once with 400, is not resubmitted and is recorded nowhere (stream %s)',
    async (stream) => {
      const { session_id, api_key } = await startSession(sglang, `request-error-${stream}`);
      // The real engine fails the same request every time; the old data proxy resubmitted it 20 times, 0.5 s apart.
      await injectFaults(engine, [
        { request_error: { status_code: 400, message: 'Grammar is invalid', after_tokens: 0 }, times: 25 },
      ]);
      const started = Date.now();
      const res = await chat(sglang, { stream }, api_key);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(res.status).toBe(400);
      expect(res.json).toEqual(
        expect.objectContaining({ code: 'ENGINE_REQUEST_REJECTED', detail: 'Grammar is invalid' }),
      );
      const left = (await call('DELETE', `${engine.url}/engine_sim/faults`)).json.cleared;
      expect(left).toBe(24); // exactly one engine request was made
      expect(await interactions(sglang, session_id)).toHaveLength(0);
      expect((await chat(sglang, {}, api_key)).status).toBe(200);
    },
  );

  it.each([
    ['sglang', 'null'],
    ['sglang', 'bool'],
    ['sglang', 'missing'],
    ['vllm', 'null'],
    ['vllm', 'clamp'],
    ['vllm', 'bool'],
    ['vllm', 'missing'],
  ] as const)(
    'defect 2: %s log-prob fault %s is refused with 502 ENGINE_PROTOCOL and nothing is recorded',
    async (kind, fault) => {
      const proxy = kind === 'sglang' ? sglang : vllm;
      const { session_id, api_key } = await startSession(proxy, `evidence-${kind}-${fault}`);
      for (const stream of [false, true]) {
        // Streaming: a fault in the first token fails before the first byte, so the status is kept.
        await injectFaults(engine, [{ logprob: { kind: fault, index: stream ? 0 : 1 } }]);
        const res = await chat(proxy, { stream }, api_key);
        expect(res.status).toBe(502);
        expect(res.json.code).toBe('ENGINE_PROTOCOL');
        expect(res.json.detail).toMatch(
          fault === 'missing'
            ? /output tokens but \d+ output logprobs/
            : fault === 'clamp'
              ? /-9999\.0, which may represent a missing or clamped logprob/
              : /must be a real, finite number/,
        );
      }
      // A fault later in a stream ends it with an error event; still nothing is recorded.
      await injectFaults(engine, [{ logprob: { kind: fault, index: 3 } }]);
      const midStream = await postSse(
        `${proxy.url}/chat/completions`,
        { messages: [{ role: 'user', content: 'Hi' }], stream: true },
        { authorization: `Bearer ${api_key}` },
      );
      const events = (await midStream.done).filter((e) => e !== '[DONE]') as ChatChunk[];
      expect(events.at(-1)!.error).toEqual(expect.objectContaining({ code: 'ENGINE_PROTOCOL' }));
      expect(await interactions(proxy, session_id)).toHaveLength(0);
      const ok = await chat(proxy, {}, api_key);
      expect(ok.status).toBe(200);
      const [recorded] = await interactions(proxy, session_id);
      expect(recorded.output_logprobs).toHaveLength(recorded.output_ids.length);
    },
  );

  it('defect 9: vLLM finish "repetition" ends like a stop; "error" is a 502 carrying the engine message', async () => {
    await injectFaults(engine, [{ vllm_finish: 'repetition' }, { vllm_finish: 'repetition' }]);
    const repeated = await chat(vllm, {});
    expect(repeated.status).toBe(200);
    expect(repeated.json.choices[0].finish_reason).toBe('stop');
    const streamed = await postSse(`${vllm.url}/chat/completions`, {
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    const events = (await streamed.done).filter((e) => e !== '[DONE]') as ChatChunk[];
    expect(events.at(-1)!.choices[0].finish_reason).toBe('stop');
    await injectFaults(engine, [{ vllm_finish: 'error' }]);
    const failed = await chat(vllm, {});
    expect(failed.status).toBe(502);
    expect(failed.json.detail).toContain('Internal server error');
    // Streaming: vLLM's error chunk comes after the tokens, so the agent gets an error event.
    await injectFaults(engine, [{ vllm_finish: 'error' }]);
    const broken = await postSse(`${vllm.url}/chat/completions`, {
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    const last = ((await broken.done).filter((e) => e !== '[DONE]') as ChatChunk[]).at(-1)!;
    expect(last.error).toEqual(expect.objectContaining({ message: expect.stringContaining('Internal server error') }));
  });
});

describe('real engines: offload (SGLang --enable-memory-saver, vLLM dev mode)', () => {
  let engine: SpawnedApp;
  let sglang: SpawnedApp;
  let vllm: SpawnedApp;

  beforeAll(async () => {
    engine = await spawnEngineSim(2, [
      '--enable-memory-saver',
      '--vllm-server-dev-mode',
      '--enable-sleep-mode',
      ...LONG_ANSWER,
    ]);
    [sglang, vllm] = await Promise.all([proxyFor(engine, 'sglang'), proxyFor(engine, 'vllm')]);
  });

  afterAll(async () => {
    await Promise.all([sglang?.stop(), vllm?.stop()]);
    await engine?.stop();
  });

  const serverInfo = async () => (await call('GET', `${engine.url}/get_server_info`)).json.internal_states[0];

  it.each([
    ['offload, onload, continue', ['/release_memory_occupation', '/resume_memory_occupation', '/continue_generation']],
    ['offload, continue, onload', ['/release_memory_occupation', '/continue_generation', '/resume_memory_occupation']],
    [
      'pause, offload, onload (weights), onload (kv_cache), continue',
      [
        '/pause_generation',
        '/release_memory_occupation',
        '/resume_memory_occupation:weights',
        '/resume_memory_occupation:kv_cache',
        '/continue_generation',
      ],
    ],
  ])(
    'defect 3: %s while a chat generates: the engine is drained before the release, generation resumes only after onload and continue, the answer is whole',
    async (_order, steps) => {
      const { session_id, api_key } = await startSession(sglang, `offload-${steps.length}-${steps[1].length}`);
      const pending = chat(sglang, { max_tokens: 400 }, api_key);
      await sleep(150);
      for (const [i, step] of steps.entries()) {
        const [path, tag] = step.split(':');
        const res = await control(sglang, path, tag ? { tags: [tag] } : {});
        expect([step, res.status]).toEqual([step, 200]);
        if (path === '/release_memory_occupation') {
          expect(await serverInfo()).toEqual(
            expect.objectContaining({ running_requests: 0, waiting_requests: 0, memory_released: true }),
          );
          expect((await call('GET', `${sglang.url}/health`)).json).toEqual(
            expect.objectContaining({ paused: true, offloaded: true }),
          );
        }
        if (i < steps.length - 1) {
          // Not resumed until the last of onload and continue.
          await sleep(60);
          expect((await call('GET', `${sglang.url}/health`)).json.paused).toBe(true);
          expect((await serverInfo()).running_requests).toBe(0);
        }
      }
      const res = await pending;
      expect(res.status).toBe(200);
      expect(res.json.usage.completion_tokens).toBe(400);
      const [recorded] = await interactions(sglang, session_id);
      expect(recorded.output_ids).toHaveLength(400);
      expect((await call('GET', `${sglang.url}/health`)).json).toEqual(
        expect.objectContaining({ paused: false, offloaded: false }),
      );
    },
  );

  it('defect 9: vLLM sleep and wake_up answer an empty 200, which is success', async () => {
    const pending = chat(vllm, { max_tokens: 400 });
    await sleep(150);
    expect((await control(vllm, '/release_memory_occupation')).status).toBe(200);
    expect((await call('GET', `${engine.url}/is_sleeping`)).json).toEqual({ is_sleeping: true });
    expect((await control(vllm, '/resume_memory_occupation')).status).toBe(200);
    expect((await control(vllm, '/continue_generation')).status).toBe(200);
    expect((await pending).json.usage.completion_tokens).toBe(400);
  });
});

/** One engine-sim and one data proxy in front of it, stopped whatever the test does. */
async function withEngine(
  engineArgs: string[],
  type: 'sglang' | 'vllm',
  proxyArgs: string[],
  test: (engine: SpawnedApp, proxy: SpawnedApp) => Promise<void>,
): Promise<void> {
  const engine = await spawnApp('engine-sim', engineArgs);
  try {
    const proxy = await proxyFor(engine, type, proxyArgs);
    try {
      await test(engine, proxy);
    } finally {
      await proxy.stop();
    }
  } finally {
    await engine.stop();
  }
}

describe('real engines: launch flags the data proxy checks', () => {
  it('defect 4: offloading an engine that would free nothing is refused with 409 naming the missing flag', async () => {
    const engine = await spawnApp('engine-sim', ['--decode-ms-per-token', '0']);
    const [sglang, vllm] = await Promise.all([proxyFor(engine, 'sglang'), proxyFor(engine, 'vllm')]);
    try {
      const refused = await control(sglang, '/release_memory_occupation');
      expect(refused.status).toBe(409);
      expect(refused.json.code).toBe('ENGINE_MISCONFIGURED');
      expect(refused.json.detail).toContain('--enable-memory-saver');
      const vllmRefused = await control(vllm, '/release_memory_occupation');
      expect(vllmRefused.status).toBe(409);
      expect(vllmRefused.json.detail).toContain('VLLM_SERVER_DEV_MODE=1');
      // Nothing was paused by the refused offload.
      expect((await chat(sglang, {})).status).toBe(200);
      expect((await call('GET', `${sglang.url}/health`)).json.paused).toBe(false);
    } finally {
      await Promise.all([sglang.stop(), vllm.stop()]);
      await engine.stop();
    }
  });

  it('defect 5: --vllm-pause-api stock pauses with /pause?mode=abort and resumes with /resume; the answer is whole', async () => {
    const stockVllm = [
      '--decode-ms-per-token',
      '2',
      '--protocol',
      'vllm',
      '--vllm-pause-api',
      'stock',
      '--vllm-server-dev-mode',
    ];
    await withEngine([...stockVllm, ...LONG_ANSWER], 'vllm', ['--vllm-pause-api', 'stock'], async (engine, proxy) => {
      expect((await call('POST', `${engine.url}/areal_pause_generation`)).status).toBe(404);
      const { session_id, api_key } = await startSession(proxy, 'stock-pause');
      const pending = chat(proxy, { max_tokens: 400 }, api_key);
      await sleep(150);
      expect((await control(proxy, '/pause_generation')).status).toBe(200);
      expect((await call('GET', `${engine.url}/is_paused`)).json).toEqual({ is_paused: true });
      await sleep(50);
      expect((await control(proxy, '/continue_generation')).status).toBe(200);
      expect((await call('GET', `${engine.url}/is_paused`)).json).toEqual({ is_paused: false });
      expect((await pending).json.usage.completion_tokens).toBe(400);
      const [recorded] = await interactions(proxy, session_id);
      expect(recorded.output_ids).toHaveLength(400);
    });
  });

  it('defect 7: with SGLang --api-key and --admin-api-key, generation uses the api key and control calls the admin key', async () => {
    const engineKeys = ['--decode-ms-per-token', '0', '--api-key', 'gen-key', '--admin-api-key', 'adm-key'];
    const proxyKeys = ['--backend-api-key', 'gen-key', '--backend-admin-api-key', 'adm-key'];
    await withEngine(engineKeys, 'sglang', proxyKeys, async (engine, proxy) => {
      // The engine's own rules: the admin key is refused on generation, the api key on control.
      expect((await call('POST', `${engine.url}/generate`, { body: { text: 'x' }, token: 'adm-key' })).status).toBe(
        401,
      );
      expect((await call('POST', `${engine.url}/pause_generation`, { body: {}, token: 'gen-key' })).status).toBe(401);
      expect((await chat(proxy, {})).status).toBe(200);
      expect((await control(proxy, '/pause_generation')).status).toBe(200);
      expect((await control(proxy, '/continue_generation')).status).toBe(200);
      expect((await chat(proxy, {})).status).toBe(200);
      expect(proxy.logs.join('\n')).not.toMatch(/gen-key|adm-key/);
    });
  });

  it('defect 8: the data proxy is ready during a long pause although SGLang /health fails then', async () => {
    await withEngine(
      ['--decode-ms-per-token', '0', '--health-check-timeout', '1.5'],
      'sglang',
      [],
      async (engine, proxy) => {
        expect((await call('GET', `${proxy.url}/health/ready`)).status).toBe(200);
        let started = Date.now();
        expect((await call('GET', `${engine.url}/health`)).status).toBe(200);
        expect(Date.now() - started).toBeGreaterThanOrEqual(900); // a generating probe takes a second
        expect((await control(proxy, '/pause_generation')).status).toBe(200);
        started = Date.now();
        expect((await call('GET', `${engine.url}/health`)).status).toBe(503);
        expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
        started = Date.now();
        expect((await call('GET', `${proxy.url}/health/ready`)).status).toBe(200);
        expect(Date.now() - started).toBeLessThan(500);
        expect((await control(proxy, '/continue_generation')).status).toBe(200);
      },
    );
  });

  it('defect 9: without --context-length the data proxy takes the engine max_model_len from /v1/models', async () => {
    const smallContext = ['--decode-ms-per-token', '0', '--context-length', '200', '--mode', 'echo'];
    await withEngine(smallContext, 'sglang', [], async (_engine, proxy) => {
      const res = await chat(proxy, { max_tokens: 1000 });
      expect(res.status).toBe(200);
      expect(res.json.usage.total_tokens).toBeLessThanOrEqual(200);
      const tooLong = await chat(proxy, { messages: [{ role: 'user', content: 'word '.repeat(300) }] });
      expect(tooLong.status).toBe(400);
      expect(tooLong.json.code).toBe('PROMPT_TOO_LONG');
    });
  });
});

describe('real engines: versions, rids, seeds, cache, pause modes', () => {
  let engine: SpawnedApp;
  let sglang: SpawnedApp;

  beforeAll(async () => {
    engine = await spawnEngineSim(3, LONG_ANSWER);
    sglang = await proxyFor(engine, 'sglang');
  });

  afterAll(async () => {
    await sglang?.stop();
    await engine?.stop();
  });

  it('defect 6: a weight update inside one request stamps each token from SGLang weight_versions spans', async () => {
    expect((await control(sglang, '/set_version', { version: 1 })).status).toBe(200);
    const label = (v: string) =>
      call('POST', `${engine.url}/update_weight_version`, { body: { new_version: v, abort_all_requests: false } });
    await label('1');
    const { session_id, api_key } = await startSession(sglang, 'spans');
    const pending = chat(sglang, { max_tokens: 200 }, api_key);
    await sleep(200);
    // A colocated update that keeps requests running (SGLang in_place), then the data proxy's version.
    await label('2');
    await control(sglang, '/set_version', { version: 2 });
    expect((await pending).status).toBe(200);
    const [recorded] = await interactions(sglang, session_id);
    const versions: number[] = recorded.output_versions;
    const switchAt = versions.indexOf(2);
    expect(switchAt).toBeGreaterThan(0);
    expect(versions.slice(0, switchAt).every((v) => v === 1)).toBe(true);
    expect(versions.slice(switchAt).every((v) => v === 2)).toBe(true);
    expect(versions).toHaveLength(200);
  });

  it('defect 9: rids are never prefixes of each other, so SGLang prefix-matched aborts hit nothing else', async () => {
    // Several tokenizer workers forward the 2 s background abort of every finished stream; with
    // rids `X-1`, `X-2`, … the abort of `X-1` killed the live `X-10`…`X-19` of the same request.
    const multiTokenizer = ['--decode-ms-per-token', '4', '--tokenizer-worker-num', '2', '--stream-abort-delay', '1.2'];
    await withEngine(
      [...multiTokenizer, ...LONG_ANSWER],
      'sglang',
      ['--max-resubmit-retries', '1'],
      async (_e, proxy) => {
        const stream = await postSse(`${proxy.url}/chat/completions`, {
          messages: [{ role: 'user', content: 'Hi' }],
          max_tokens: 400,
          stream: true,
        });
        for (let i = 0; i < 12; i++) {
          await sleep(25);
          expect((await control(proxy, '/pause_generation')).status).toBe(200);
          expect((await control(proxy, '/continue_generation')).status).toBe(200);
        }
        const events = (await stream.done).filter((e) => e !== '[DONE]') as ChatChunk[];
        expect(events.some((e) => e.error !== undefined)).toBe(false);
        expect(events.at(-1)!.choices[0].finish_reason).toBe('length');
      },
    );
  });

  it('seeds reach the engine: the same seed gives the same tokens, another seed other tokens', async () => {
    // engine-sim puts its planned token far ahead; a high temperature makes the seed visible.
    const body = { temperature: 10, max_tokens: 24 };
    const run = async (seed: number) => (await chat(sglang, { ...body, seed })).json.choices[0].message.content;
    expect(await run(11)).toBe(await run(11));
    expect(await run(11)).not.toBe(await run(12));
  });

  it('cached prompt tokens reach the agent as usage.prompt_tokens_details and the prefix-cache metric', async () => {
    const messages = [{ role: 'user', content: 'A long shared prefix. '.repeat(40) }];
    await chat(sglang, { messages, max_tokens: 4 });
    const again = await chat(sglang, { messages, max_tokens: 4 });
    expect(again.json.usage.prompt_tokens_details.cached_tokens).toBeGreaterThanOrEqual(
      again.json.usage.prompt_tokens - 16,
    );
    const metrics = (await call('GET', `${sglang.url}/metrics`)).text;
    expect(metricValue(metrics, 'data_proxy_cached_prompt_tokens_total')).toBeGreaterThan(0);
  });

  it('pause {"mode": "in_place"} keeps the request on the engine: one segment, later tokens under the new version', async () => {
    await control(sglang, '/set_version', { version: 3 });
    await call('POST', `${engine.url}/update_weight_version`, {
      body: { new_version: '3', abort_all_requests: false },
    });
    const { session_id, api_key } = await startSession(sglang, 'in-place');
    const pending = chat(sglang, { max_tokens: 120 }, api_key);
    await sleep(150);
    expect((await control(sglang, '/pause_generation', { mode: 'in_place' })).status).toBe(200);
    expect((await control(sglang, '/set_version', { version: 4 })).status).toBe(200);
    expect((await control(sglang, '/continue_generation')).status).toBe(200);
    expect((await pending).status).toBe(200);
    const [recorded] = await interactions(sglang, session_id);
    const versions: number[] = recorded.output_versions;
    const switchAt = versions.indexOf(4);
    expect(switchAt).toBeGreaterThan(0);
    expect(versions.slice(0, switchAt).every((v) => v === 3)).toBe(true);
    expect(versions.slice(switchAt).every((v) => v === 4)).toBe(true);
    expect((await control(sglang, '/pause_generation', { mode: 'sideways' })).status).toBe(400);
  });
});

describe('real engines: the example configs launch a working stack', () => {
  // The real engine command is replaced by engine-sim in the mode those flags give a real engine;
  // everything else (backend kind, pause API, keys, ports) comes from the example file.
  it.each([
    ['configs/sglang-example.yaml', '--protocol sglang --enable-memory-saver --decode-ms-per-token 1'],
    [
      'configs/vllm-example.yaml',
      '--protocol vllm --vllm-pause-api stock --vllm-server-dev-mode --enable-sleep-mode --enable-prompt-tokens-details --decode-ms-per-token 1',
    ],
  ])(
    '%s: chat, pause, offload, onload, continue through the controller',
    async (config, engineFlags) => {
      const engineCommand = `${process.execPath} ${ROOT}dist/apps/engine-sim/main.js --host {host} --port {port} ${engineFlags}`;
      const controller = await spawnLocalStack(ADMIN, [
        '--config',
        config,
        '--engine-command',
        engineCommand,
        '--model',
        'engine-sim',
        '--tokenizer-path',
        '',
        '--port',
        '0',
        '--setup-timeout',
        '60',
      ]);
      const ctl = (path: string, body: unknown = {}) =>
        call('POST', `${controller.url}${path}`, { body, token: ADMIN });
      try {
        const status = (await call('GET', `${controller.url}/status`, { token: ADMIN })).json;
        expect(status.engines).toHaveLength(2);
        for (const engine of status.engines) expect(engine.health.ok).toBe(true);
        const chatOnce = () =>
          call('POST', `${status.gateway.addr}/v1/chat/completions`, {
            body: { model: 'engine-sim', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 8 },
            token: ADMIN,
          });
        expect((await chatOnce()).status).toBe(200);
        for (const step of ['/pause', '/offload', '/onload', '/resume']) {
          const res = await ctl(step);
          expect([step, res.status, res.text]).toEqual([step, 200, expect.any(String)]);
        }
        expect((await chatOnce()).status).toBe(200);
      } finally {
        await controller.stop();
      }
    },
    90_000,
  );
});
