// One suite over 300 lines: structured outputs end to end, engine-sim on both protocols (whole and
// streamed, refusals included) and the data proxy's resubmission of a constrained generation across
// a pause; the cases share one engine-sim, one tokenizer and one set of schemas.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Agent } from 'undici';
import { HfTokenizer } from '@app/tokenizer';
import { call } from '../support/http.js';
import { postSse } from '../support/sse.js';
import { sleep } from '../support/wait.js';
import { spawnEngineSim, type SpawnedApp } from '../support/spawn-app.js';

const ajv = new Ajv2020({ strict: false, validateFormats: false });
/** `<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n` in Qwen3 ids. */
const PROMPT = [151644, 872, 198, 9707, 151645, 198, 151644, 77091, 198];
const EOS = 151645;
const SCHEMA = {
  type: 'object',
  properties: {
    city: { type: 'string', minLength: 2 },
    days: { type: 'integer', minimum: 1, maximum: 14 },
    tags: { type: 'array', items: { type: 'string', enum: ['museum', 'food', 'walk'] }, minItems: 1 },
  },
  required: ['city', 'days', 'tags'],
  additionalProperties: false,
};
const TOOL_GRAMMAR = String.raw`root ::= "<tool_call>\n" call "\n</tool_call>"
call ::= "{\"name\": \"calculator\", \"arguments\": {\"expression\": \"" [0-9]+ " " [+*-] " " [0-9]+ "\"}}"`;

type SglangOutput = {
  text: string;
  output_ids: number[];
  meta_info: Record<string, any>;
};

describe('engine-sim constrained decoding, top log-probs and penalties (both protocols)', () => {
  let engine: SpawnedApp;
  const post = (path: string, body: unknown) => call('POST', `${engine.url}${path}`, { body });
  const generate = (sampling: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    post('/generate', {
      input_ids: PROMPT,
      sampling_params: { max_new_tokens: 400, ...sampling },
      return_logprob: true,
      ...extra,
    });
  const complete = (body: Record<string, unknown>) =>
    post('/v1/completions', {
      prompt: PROMPT,
      max_tokens: 400,
      logprobs: 0,
      return_tokens_as_token_ids: true,
      ...body,
    });

  beforeAll(async () => {
    engine = await spawnEngineSim(0);
  });

  afterAll(async () => {
    await engine?.stop();
  });

  /** The answer's text without the EOS the grammar ends with; its ids and log-probs agree. */
  function sglangText(answer: SglangOutput): string {
    const triples = answer.meta_info.output_token_logprobs as [number, number, null][];
    expect(triples.map(([, id]) => id)).toEqual(answer.output_ids);
    expect(triples.every(([lp]) => Number.isFinite(lp) && lp <= 0)).toBe(true);
    expect(answer.meta_info.finish_reason).toEqual({ type: 'stop', matched: EOS });
    return answer.text;
  }

  it('SGLang json_schema: the answer validates against the schema, whole and streamed', async () => {
    for (const seed of [1, 2, 3]) {
      const whole = await generate({ json_schema: JSON.stringify(SCHEMA), sampling_seed: seed, temperature: 1.5 });
      expect(whole.status).toBe(200);
      expect(ajv.validate(SCHEMA, JSON.parse(sglangText(whole.json)))).toBe(true);
    }
    const stream = await postSse(`${engine.url}/generate`, {
      input_ids: PROMPT,
      sampling_params: { max_new_tokens: 400, json_schema: JSON.stringify(SCHEMA), sampling_seed: 4 },
      return_logprob: true,
      stream: true,
    });
    const events = (await stream.done) as (SglangOutput | string)[];
    expect(events.at(-1)).toBe('[DONE]');
    const last = events.at(-2) as SglangOutput;
    expect(ajv.validate(SCHEMA, JSON.parse(sglangText(last)))).toBe(true);
    // The same request whole gives the same ids and log-probs (a seeded replay).
    const replay = await generate({ json_schema: JSON.stringify(SCHEMA), sampling_seed: 4 });
    expect(replay.json.output_ids).toEqual(last.output_ids);
    expect(replay.json.meta_info.output_token_logprobs).toEqual(last.meta_info.output_token_logprobs);
  });

  it('SGLang regex, ebnf (a tool-call grammar) and structural_tag', async () => {
    const regex = await generate({ regex: '(sunny|rainy), [1-3][0-9] C', sampling_seed: 1 });
    expect(sglangText(regex.json)).toMatch(/^(sunny|rainy), [1-3][0-9] C$/);
    const ebnf = await generate({ ebnf: TOOL_GRAMMAR, sampling_seed: 2 });
    const call = /^<tool_call>\n(.*)\n<\/tool_call>$/s.exec(sglangText(ebnf.json));
    expect(JSON.parse(call![1])).toEqual({
      name: 'calculator',
      arguments: { expression: expect.stringMatching(/^\d+ [+*-] \d+$/) },
    });
    const tag = {
      type: 'structural_tag',
      structures: [{ begin: '<tool_call>\n{"name": "plan", "arguments": ', schema: SCHEMA, end: '}\n</tool_call>' }],
      triggers: ['<tool_call>'],
    };
    // Free text without a trigger is allowed: the text model's own answer stays as it is.
    const free = sglangText((await generate({ structural_tag: JSON.stringify(tag), sampling_seed: 3 })).json);
    expect(free).not.toContain('<tool_call>');
    expect(free.length).toBeGreaterThan(0);
    const tagged = sglangText(
      (await generate({ structural_tag: JSON.stringify({ ...tag, at_least_one: true }), sampling_seed: 3 })).json,
    );
    const args = /^<tool_call>\n\{"name": "plan", "arguments": (.*)\}\n<\/tool_call>$/s.exec(tagged);
    expect(ajv.validate(SCHEMA, JSON.parse(args![1]))).toBe(true);
  });

  it('SGLang refuses as SGLang does: several grammars (a tokenizer-side 400), an invalid grammar (an abort with status 400)', async () => {
    const several = await generate({ json_schema: '{"type": "object"}', regex: 'a+' });
    expect([several.status, several.json]).toEqual([
      400,
      { error: { message: 'Only one of regex, json_schema, or ebnf can be set.' } },
    ]);
    const severalStream = await postSse(`${engine.url}/generate`, {
      input_ids: PROMPT,
      sampling_params: { json_schema: '{}', ebnf: 'root ::= "a"' },
      stream: true,
    });
    expect(severalStream.status).toBe(200);
    expect(await severalStream.done).toEqual([
      {
        error: {
          message: 'Only one of regex, json_schema, or ebnf can be set.',
          type: 'invalid_request_error',
          code: 400,
          retryable: false,
        },
      },
      '[DONE]',
    ]);
    for (const sampling of [
      { json_schema: '{"type": "tuple"}' },
      { json_schema: 'not json' },
      { regex: '(a' },
      { ebnf: 'start ::= "x"' },
      { structural_tag: '{"structures": []}' },
    ]) {
      const refused = await generate(sampling);
      expect([refused.status, refused.json]).toEqual([
        400,
        { error: { message: expect.stringContaining('Invalid grammar request') } },
      ]);
    }
    const stream = await postSse(`${engine.url}/generate`, {
      input_ids: PROMPT,
      sampling_params: { regex: '(?=x)' },
      stream: true,
    });
    const events = (await stream.done) as SglangOutput[];
    expect(events.at(-2)?.meta_info.finish_reason).toEqual({
      type: 'abort',
      message: expect.stringContaining('Invalid grammar request'),
      status_code: 400,
      err_type: 'BadRequestError',
    });
  });

  it('SGLang top_logprobs_num: the alternatives of every token, most likely first, the sampled one among them at temperature 0', async () => {
    const answer = (await generate({ max_new_tokens: 6, temperature: 0, ignore_eos: true }, { top_logprobs_num: 3 }))
      .json;
    const top = answer.meta_info.output_top_logprobs as [number, number, null][][];
    expect(answer.meta_info.input_top_logprobs).toEqual([]);
    expect(top).toHaveLength(answer.output_ids.length);
    for (const [i, alternatives] of top.entries()) {
      expect(alternatives).toHaveLength(3);
      expect(alternatives[0]).toEqual(answer.meta_info.output_token_logprobs[i]);
      expect(alternatives.map(([lp]) => lp)).toEqual(alternatives.map(([lp]) => lp).sort((a, b) => b - a));
    }
    const plain = (await generate({ max_new_tokens: 6, temperature: 0, ignore_eos: true })).json;
    expect(plain.meta_info.output_top_logprobs).toBeUndefined();
    expect(plain.output_ids).toEqual(answer.output_ids);
  });

  it('SGLang honours min_p and the penalties and refuses them out of range', async () => {
    const ok = await generate({
      max_new_tokens: 8,
      min_p: 0.2,
      presence_penalty: 1,
      repetition_penalty: 1.3,
      ignore_eos: true,
    });
    expect(ok.status).toBe(200);
    expect(ok.json.output_ids).toHaveLength(8);
    for (const bad of [{ min_p: 1.5 }, { presence_penalty: 3 }, { repetition_penalty: 0 }, { repetition_penalty: 2.5 }])
      expect((await generate(bad)).status).toBe(400);
  });

  it('vLLM structured_outputs: json (object or string), choice, regex, grammar, json_object; whole and streamed', async () => {
    const whole = await complete({ structured_outputs: { json: SCHEMA }, seed: 1 });
    expect(whole.status).toBe(200);
    const choice = whole.json.choices[0];
    expect(choice.finish_reason).toBe('stop');
    expect(ajv.validate(SCHEMA, JSON.parse(choice.text))).toBe(true);
    expect(
      (await complete({ structured_outputs: { json: JSON.stringify(SCHEMA) }, seed: 1 })).json.choices[0].text,
    ).toBe(choice.text);
    expect((await complete({ structured_outputs: { choice: ['left', 'right'] } })).json.choices[0].text).toMatch(
      /^(left|right)$/,
    );
    expect((await complete({ structured_outputs: { regex: '[A-Z]{3}-\\d{2}' } })).json.choices[0].text).toMatch(
      /^[A-Z]{3}-\d{2}$/,
    );
    expect((await complete({ structured_outputs: { grammar: TOOL_GRAMMAR } })).json.choices[0].text).toMatch(
      /^<tool_call>\n\{"name": "calculator", .*\}\n<\/tool_call>$/s,
    );
    const object = JSON.parse(
      (await complete({ structured_outputs: { json_object: true } })).json.choices[0].text,
    ) as unknown;
    expect(typeof object === 'object' && object !== null && !Array.isArray(object)).toBe(true);
    const stream = await postSse(`${engine.url}/v1/completions`, {
      prompt: PROMPT,
      max_tokens: 400,
      structured_outputs: { json: SCHEMA },
      seed: 1,
      stream: true,
    });
    const events = (await stream.done) as ({ choices: { text: string }[] } | string)[];
    const text = events
      .filter((e): e is { choices: { text: string }[] } => typeof e === 'object')
      .map((e) => e.choices[0]?.text ?? '')
      .join('');
    expect(text).toBe(choice.text);
  });

  it('vLLM refuses as vLLM does: several constraints or none (400 on reading), an invalid one (400, or an error chunk when streaming)', async () => {
    const vllmError = { error: { message: expect.any(String), type: 'BadRequestError', param: null, code: 400 } };
    for (const so of [{ json: SCHEMA, regex: 'a' }, {}]) {
      const refused = await complete({ structured_outputs: so });
      expect([refused.status, refused.json]).toEqual([400, vllmError]);
    }
    expect((await complete({ structured_outputs: { json: SCHEMA, regex: 'a' } })).json.error.message).toContain(
      'You can only use one kind of structured outputs constraint',
    );
    const invalid = await complete({ structured_outputs: { grammar: 'root ::= missing' } });
    expect([invalid.status, invalid.json]).toEqual([400, vllmError]);
    const stream = await postSse(`${engine.url}/v1/completions`, {
      prompt: PROMPT,
      structured_outputs: { regex: '(a' },
      stream: true,
    });
    expect(stream.status).toBe(200);
    expect(await stream.done).toEqual([vllmError, '[DONE]']);
  });

  it('vLLM logprobs: k gives the sampled token and the k most likely per position', async () => {
    const body = await complete({ max_tokens: 5, logprobs: 2, temperature: 0, ignore_eos: true });
    const logprobs = body.json.choices[0].logprobs;
    expect(logprobs.top_logprobs).toHaveLength(5);
    for (const [i, entry] of (logprobs.top_logprobs as Record<string, number>[]).entries()) {
      expect(Object.keys(entry)[0]).toBe(logprobs.tokens[i]);
      expect(Object.keys(entry).length).toBeLessThanOrEqual(3);
    }
    for (const bad of [{ min_p: -0.1 }, { presence_penalty: -3 }, { repetition_penalty: 0 }])
      expect((await complete(bad)).status).toBe(400);
  });
});

/** What this suite uses of the data proxy's InfBridgeService (loaded from the build, see below). */
interface Bridge {
  setVersion(version: number): Promise<void>;
  pause(mode: 'abort'): Promise<void>;
  resume(): Promise<void>;
  generate(input: {
    promptIds: number[];
    maxNewTokens: number;
    sampling: Record<string, unknown>;
    onTokens: (tokens: readonly number[], logprobs: readonly number[], versions: readonly number[]) => void;
  }): Promise<{
    outputTokens: number[];
    outputLogprobs: number[];
    outputVersions: number[];
    segments: number;
  }>;
  constrainedRestarts: number;
  constrainedDiscardedTokens: number;
}

/**
 * The data proxy's resubmission of a constrained generation across a weight update: the built
 * InfBridgeService, in process, against a real engine-sim. (No agent API carries a constraint to
 * the data proxy yet, so the bridge is driven directly, from `dist/` as every e2e suite runs the
 * build.) The echo model's answer is a long document the schema accepts; a pause aborts it in the
 * middle. Resubmitting `prompt + tokens so far` would make the engine start a second document after
 * the partial one (its grammar restarts): the answer would not parse. The bridge restarts the
 * constrained generation instead.
 */
describe('a pause in the middle of a constrained generation (data proxy InfBridge → engine-sim)', () => {
  const LIST_SCHEMA = {
    type: 'object',
    properties: {
      steps: {
        type: 'array',
        items: {
          type: 'object',
          properties: { n: { type: 'integer' }, say: { type: 'string' } },
          required: ['n', 'say'],
          additionalProperties: false,
        },
        minItems: 1,
      },
    },
    required: ['steps'],
    additionalProperties: false,
  };
  const DOCUMENT = JSON.stringify({
    steps: Array.from({ length: 24 }, (_, n) => ({ n, say: `step number ${n} of the plan` })),
  });
  const DIST = new URL('../../dist/', import.meta.url).href;
  let engine: SpawnedApp;
  let tokenizer: HfTokenizer;
  let prompt: number[];
  let createBridge: (argv: string[], agent: Agent) => Bridge;
  let neutralSampling: Record<string, unknown>;
  const agents: Agent[] = [];

  beforeAll(async () => {
    engine = await spawnEngineSim(4, ['--mode', 'echo']);
    tokenizer = await HfTokenizer.load();
    prompt = await tokenizer.encode(`<|im_start|>user\n${DOCUMENT}<|im_end|>\n<|im_start|>assistant\n`);
    const common = await import(`${DIST}libs/common/src/index.js`);
    const { DATA_PROXY_OPTIONS } = await import(`${DIST}apps/data-proxy/src/config/data-proxy-options.js`);
    const { InfBridgeService } = await import(`${DIST}apps/data-proxy/src/inference/inf-bridge.service.js`);
    ({ NEUTRAL_SAMPLING: neutralSampling } = await import(`${DIST}apps/data-proxy/src/inference/engine-backend.js`));
    createBridge = (argv, agent) =>
      new InfBridgeService(new common.HttpClient(agent), common.parseOptions(DATA_PROXY_OPTIONS, argv, {}).options);
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    await engine?.stop();
  });

  function bridgeFor(backendType: 'sglang' | 'vllm'): Bridge {
    const agent = new Agent();
    agents.push(agent);
    return createBridge(['--backend-addr', engine.url, '--backend-type', backendType, '--resubmit-wait', '0'], agent);
  }

  it.each(['sglang', 'vllm'] as const)(
    '%s: the answer still validates, every token is sampled under the new version, and what is recorded is what the client got',
    async (backendType) => {
      const bridge = bridgeFor(backendType);
      const sampling = {
        temperature: 1,
        topP: 1,
        topK: -1,
        stop: [],
        stopTokenIds: [EOS],
        frequencyPenalty: 0,
        ignoreEos: false,
        skipSpecialTokens: true,
        seed: null,
        ...neutralSampling,
        constraint: { kind: 'json_schema', schema: LIST_SCHEMA, strict: true },
      };
      await bridge.setVersion(4);
      const delivered: number[] = [];
      const deliveredVersions: number[] = [];
      const pending = bridge.generate({
        promptIds: prompt,
        maxNewTokens: 1000,
        sampling,
        onTokens: (tokens, _logprobs, versions) => {
          delivered.push(...tokens);
          deliveredVersions.push(...versions);
        },
      });
      // Mid-document (≈ 4 ms per token, several hundred tokens): pause, update, continue.
      await sleep(250);
      await bridge.pause('abort');
      await bridge.setVersion(5);
      await bridge.resume();
      const outcome = await pending;

      const text = tokenizer.decode(outcome.outputTokens.slice(0, -1));
      expect(outcome.outputTokens.at(-1)).toBe(EOS);
      expect(ajv.validate(LIST_SCHEMA, JSON.parse(text))).toBe(true);
      expect(text).toBe(DOCUMENT);
      expect(outcome.segments).toBe(2);
      expect(bridge.constrainedRestarts).toBe(1);
      expect(bridge.constrainedDiscardedTokens).toBeGreaterThan(0);
      expect(outcome.outputVersions.every((v) => v === 5)).toBe(true);
      // The client got exactly the recorded tokens, once.
      expect(delivered).toEqual(outcome.outputTokens);
      expect(deliveredVersions).toEqual(outcome.outputVersions);
      expect(outcome.outputLogprobs).toHaveLength(outcome.outputTokens.length);
    },
  );
});
