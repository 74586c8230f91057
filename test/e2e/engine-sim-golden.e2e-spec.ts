import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { call } from '../support/http.js';
import { postSse } from '../support/sse.js';
import { sleep } from '../support/wait.js';
import { type SpawnedApp, spawnEngineSim } from '../support/spawn-app.js';

/**
 * engine-sim's answers, recorded as shapes in `test/e2e/golden/engine-sim/*.json` and compared
 * field by field: every key, its type, and the literal value of the fields a client branches on
 * (finish types, status codes, abort messages, error codes). The golden files were checked
 * against the real engines' shapes (docs/ENGINES.md); `UPDATE_GOLDEN=1` rewrites them.
 */

const GOLDEN = fileURLToPath(new URL('./golden/engine-sim/', import.meta.url));
/** `<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n` in Qwen3 ids. */
const PROMPT = [151644, 872, 198, 9707, 151645, 198, 151644, 77091, 198];
/** Fields whose value (not only type) is part of the protocol. */
const LITERAL_KEYS = new Set([
  'type',
  'status_code',
  'err_type',
  'message',
  'object',
  'finish_reason',
  'status',
  'success',
  'code',
  'retryable',
  'is_paused',
  'is_sleeping',
  'error',
]);

/**
 * The shape of a JSON value: keys kept (vLLM's `token_id:N` keys generalised), leaves replaced by
 * their type unless the key is in LITERAL_KEYS. A list whose items share one shape becomes that
 * shape once; a tuple (SGLang's `[logprob, token_id, text]`) keeps each position.
 */
function shape(value: unknown, key = ''): unknown {
  if (value === null) return null;
  if (Array.isArray(value)) {
    const items = value.map((item) => shape(item, key));
    const first = JSON.stringify(items[0]);
    return items.every((item) => JSON.stringify(item) === first) ? items.slice(0, 1) : items;
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort())
      out[k.replace(/^token_id:\d+$/, 'token_id:<id>')] = shape((value as Record<string, unknown>)[k], k);
    return out;
  }
  if (LITERAL_KEYS.has(key)) return value;
  return `<${typeof value}>`;
}

function expectGolden(name: string, value: unknown): void {
  const file = `${GOLDEN}${name}.json`;
  const actual = shape(value);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, JSON.stringify(actual, null, 2) + '\n');
  }
  expect([name, actual]).toEqual([name, JSON.parse(readFileSync(file, 'utf8'))]);
}

describe('engine-sim answers match the real engines field by field (golden shapes)', () => {
  let engine: SpawnedApp;
  const post = (path: string, body: unknown = {}) => call('POST', `${engine.url}${path}`, { body });
  const faults = (list: unknown[]) => post('/engine_sim/faults', { faults: list });

  beforeAll(async () => {
    engine = await spawnEngineSim(3, [
      '--max-running',
      '1',
      '--enable-fault-injection',
      '--enable-memory-saver',
      '--vllm-server-dev-mode',
      '--enable-sleep-mode',
      '--enable-prompt-tokens-details',
      '--no-health-generation',
    ]);
  });

  afterAll(async () => {
    await engine?.stop();
  });

  it('SGLang /generate: stop, length, streaming chunks', async () => {
    const params = { max_new_tokens: 6, ignore_eos: true, temperature: 0 };
    expectGolden(
      'sglang-generate-length',
      (await post('/generate', { input_ids: PROMPT, sampling_params: params, return_logprob: true })).json,
    );
    const stopped = await post('/generate', {
      input_ids: PROMPT,
      sampling_params: { max_new_tokens: 500 },
      return_logprob: true,
    });
    expectGolden('sglang-generate-stop', stopped.json);
    const stream = await postSse(`${engine.url}/generate`, {
      input_ids: PROMPT,
      sampling_params: params,
      return_logprob: true,
      stream: true,
    });
    const events = await stream.done;
    expect(events.at(-1)).toBe('[DONE]');
    expectGolden('sglang-stream-chunk', events[0]);
    expectGolden('sglang-stream-final-chunk', events.at(-2));
  });

  it('SGLang aborts: running (no status), waiting queue (no prompt counts), request error (a status)', async () => {
    const long = { max_new_tokens: 3000, ignore_eos: true };
    const running = post('/generate', { input_ids: PROMPT, sampling_params: long, return_logprob: true });
    await sleep(40);
    const waiting = post('/generate', { input_ids: PROMPT, sampling_params: long, return_logprob: true });
    await sleep(40);
    expectGolden('sglang-pause-reply', (await post('/pause_generation', {})).json);
    expectGolden('sglang-abort-running', (await running).json);
    expectGolden('sglang-abort-waiting', (await waiting).json);
    expectGolden('sglang-continue-reply', (await post('/continue_generation', {})).json);
    await faults([{ request_error: { status_code: 400, message: 'Invalid grammar', after_tokens: 0 } }]);
    const failed = await post('/generate', { input_ids: PROMPT, sampling_params: long });
    expect(failed.status).toBe(400);
    expectGolden('sglang-request-error', failed.json);
    await faults([{ request_error: { status_code: 400, message: 'Invalid grammar', after_tokens: 0 } }]);
    const stream = await postSse(`${engine.url}/generate`, { input_ids: PROMPT, sampling_params: long, stream: true });
    expect(stream.status).toBe(200);
    expectGolden('sglang-request-error-stream-final-chunk', (await stream.done).at(-2));
    const tooLong = await postSse(`${engine.url}/generate`, {
      input_ids: PROMPT,
      sampling_params: { max_new_tokens: 10_000_000 },
      stream: true,
    });
    expectGolden('sglang-context-error-stream', await tooLong.done);
  });

  it('SGLang weights and memory: version spans, update replies, null memory replies', async () => {
    const pending = post('/generate', {
      input_ids: PROMPT,
      sampling_params: { max_new_tokens: 30, ignore_eos: true },
      return_logprob: true,
    });
    await sleep(40);
    const updated = await post('/update_weight_version', { new_version: 'v2', abort_all_requests: false });
    expectGolden('sglang-update-weight-version', updated.json);
    const spanned = (await pending).json;
    expect(spanned.meta_info.weight_versions.at(-1).end).toBe(30);
    expectGolden('sglang-weight-versions', spanned);
    const released = await post('/release_memory_occupation', {});
    expect([released.status, released.text]).toEqual([200, 'null']);
    const resumed = await post('/resume_memory_occupation', {});
    expect([resumed.status, resumed.text]).toEqual([200, 'null']);
    const aborted = await post('/abort_request', { rid: 'nothing-live' });
    expect([aborted.status, aborted.text]).toEqual([200, '']);
    const refused = await call('POST', `${engine.url}/generate`, { body: { input_ids: 'x' } });
    expectGolden('sglang-validation-error', refused.json);
  });

  it('vLLM /v1/completions: token ids, log-probs, usage with cached tokens, stream, error', async () => {
    const body = { prompt: PROMPT, max_tokens: 4, logprobs: 0, return_tokens_as_token_ids: true, ignore_eos: true };
    expectGolden('vllm-completion', (await post('/v1/completions', body)).json);
    const stream = await postSse(`${engine.url}/v1/completions`, {
      ...body,
      stream: true,
      stream_options: { include_usage: true },
    });
    const events = await stream.done;
    expectGolden('vllm-stream-chunk', events[0]);
    expectGolden('vllm-stream-usage-chunk', events.at(-2));
    await faults([{ vllm_finish: 'error' }]);
    const failed = await post('/v1/completions', body);
    expect(failed.status).toBe(500);
    expectGolden('vllm-error', failed.json);
    await faults([{ vllm_finish: 'repetition' }]);
    expectGolden('vllm-repetition', (await post('/v1/completions', body)).json);
    expectGolden('v1-models', (await call('GET', `${engine.url}/v1/models`)).json);
  });

  it('structured outputs and top log-probs: SGLang and vLLM answers and refusals', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    const sglang = (sampling: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      post('/generate', {
        input_ids: PROMPT,
        sampling_params: { max_new_tokens: 64, ...sampling },
        return_logprob: true,
        ...extra,
      });
    expectGolden('sglang-generate-json-schema', (await sglang({ json_schema: JSON.stringify(schema) })).json);
    expectGolden(
      'sglang-generate-top-logprobs',
      (await sglang({ max_new_tokens: 3, ignore_eos: true }, { top_logprobs_num: 2 })).json,
    );
    const invalid = await sglang({ json_schema: '{"type": "tuple"}' });
    expect(invalid.status).toBe(400);
    expectGolden('sglang-invalid-grammar', invalid.json);
    const invalidStream = await postSse(`${engine.url}/generate`, {
      input_ids: PROMPT,
      sampling_params: { regex: '(a' },
      stream: true,
    });
    expectGolden('sglang-invalid-grammar-stream-final-chunk', (await invalidStream.done).at(-2));
    const several = await sglang({ regex: 'a', ebnf: 'root ::= "a"' });
    expect(several.status).toBe(400);
    expectGolden('sglang-several-grammars', several.json);
    const vllm = (body: Record<string, unknown>) =>
      post('/v1/completions', {
        prompt: PROMPT,
        max_tokens: 64,
        logprobs: 2,
        return_tokens_as_token_ids: true,
        ...body,
      });
    expectGolden('vllm-completion-structured', (await vllm({ structured_outputs: { json: schema } })).json);
    const refused = await vllm({ structured_outputs: { regex: '(a' } });
    expect(refused.status).toBe(400);
    expectGolden('vllm-structured-outputs-error', refused.json);
    const refusedStream = await postSse(`${engine.url}/v1/completions`, {
      prompt: PROMPT,
      structured_outputs: { grammar: 'root ::= x' },
      stream: true,
    });
    expectGolden('vllm-structured-outputs-error-stream', await refusedStream.done);
  });

  it('vLLM control: stock pause/resume/is_paused, sleep and wake_up with empty bodies, AReaL pause', async () => {
    expectGolden('vllm-pause', (await post('/pause?mode=abort')).json);
    expectGolden('vllm-is-paused', (await call('GET', `${engine.url}/is_paused`)).json);
    expectGolden('vllm-resume', (await post('/resume')).json);
    const slept = await post('/sleep');
    expect([slept.status, slept.text]).toEqual([200, '']);
    expectGolden('vllm-is-sleeping', (await call('GET', `${engine.url}/is_sleeping`)).json);
    const woke = await post('/wake_up');
    expect([woke.status, woke.text]).toEqual([200, '']);
    expectGolden('areal-vllm-pause', (await post('/areal_pause_generation')).json);
    expectGolden('areal-vllm-continue', (await post('/areal_continue_generation')).json);
  });
});
