// One unit over 300 lines: SGLang's /generate against one running stack, checked the ways a
// trainer that tokenizes for itself relies on it (the same answers as the engine, a multi-turn
// token-level agent loop across a weight update, batches and n, refusals), so that the token
// path is seen end to end in one place.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HfTokenizer } from '@app/tokenizer';
import { call } from '../support/http.js';
import type { SpawnedApp } from '../support/spawn-app.js';
import { spawnDataProxy, startWholePath, type Session, type WholePath } from '../support/whole-path.js';
import { postSse } from '../support/sse.js';
import { sleep } from '../support/wait.js';
import { decodeTensor, type EncodedTensor } from '../support/tensors.js';

const ADMIN = 'generate-admin-key';
const VERSION = 3;
/** engine-sim's context window (its default). */
const CONTEXT = 32768;

/** What a trainer reads of a `/generate` answer. */
interface Output {
  text: string;
  output_ids: number[];
  index?: number;
  meta_info: {
    id: string;
    finish_reason: { type: string; matched?: unknown; status_code?: number; message?: string } | null;
    prompt_tokens?: number;
    completion_tokens: number;
    cached_tokens?: number;
    weight_version: string;
    weight_versions?: { version: string; start: number; end: number }[];
    output_token_versions: number[];
    output_token_logprobs?: [number, number, string | null][];
    output_top_logprobs?: [number, number, string | null][][];
  };
}

interface Recorded {
  interaction_id: string;
  parent_id: string | null;
  prompt_ids: number[];
  output_ids: number[];
}

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

/**
 * gateway → router → data proxy → engine-sim (text mode: 40 to 56 tokens then EOS, 5 ms a token),
 * every one a real process; the client is plain HTTP, as SGLang's trainers call `/generate`.
 */
describe("SGLang's /generate through the gateway: token in, token out, recorded like chat", () => {
  let stack: WholePath;
  let engine: SpawnedApp;
  let proxy: SpawnedApp;
  let gateway: SpawnedApp;
  let tokenizer: HfTokenizer;

  const generate = (body: unknown, token: string | null) => call('POST', `${gateway.url}/generate`, { body, token });

  // Four processes and a tokenizer, one after the other: a busy machine starts them slowly.
  beforeAll(async () => {
    tokenizer = await HfTokenizer.load(undefined);
    const flags = ['--min-output-tokens', '40', '--max-output-tokens', '56'];
    stack = await startWholePath(ADMIN, { decodeMs: 5, flags }, VERSION);
    ({ engine, proxy, gateway } = stack);
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const startSession = (task: string) => stack.startSession(task);

  async function recorded(sessionId: string): Promise<Recorded[]> {
    const res = await call('GET', `${proxy.url}/rl/sessions/${sessionId}`, { token: ADMIN });
    expect(res.status).toBe(200);
    return res.json.interactions as Recorded[];
  }

  /** Rewards the session's trajectory and exports it as JSON rows by interaction id. */
  const rewardAndExport = (session: Session) => stack.rewardAndExport(session, { reward: 1 });

  it('answers exactly what the engine answers for the same request (ids, text, finish, log-probs), whole and streamed', async () => {
    const session = await startSession('generate-same');
    const prompt = await tokenizer.encode('Question: what does a data proxy do?');
    const bodies = [
      {
        input_ids: prompt,
        sampling_params: { temperature: 0.7, sampling_seed: 11, max_new_tokens: 24 },
        top_logprobs_num: 3,
      },
      { input_ids: prompt, sampling_params: { temperature: 1, sampling_seed: 5, stop: ['.', ' the'] } },
      { text: 'A plain text prompt', sampling_params: { temperature: 0, max_new_tokens: 16 } },
    ].map((body) => ({ ...body, return_logprob: true }));
    for (const body of bodies) {
      const direct = (await call('POST', `${engine.url}/generate`, { body })).json as Output;
      const res = await generate(body, session.api_key);
      expect(res.status).toBe(200);
      const ours = res.json as Output;
      expect(ours.output_ids).toEqual(direct.output_ids);
      expect(ours.text).toBe(direct.text);
      expect(ours.meta_info.finish_reason).toEqual(direct.meta_info.finish_reason);
      expect(ours.meta_info.prompt_tokens).toBe(direct.meta_info.prompt_tokens);
      expect(ours.meta_info.completion_tokens).toBe(direct.meta_info.completion_tokens);
      // The recorded values: float32, as SGLang's own are.
      expect(ours.meta_info.output_token_logprobs).toEqual(
        direct.meta_info.output_token_logprobs?.map(([lp, id]) => [Math.fround(lp), id, null]),
      );
      expect(ours.meta_info.output_top_logprobs).toEqual(
        direct.meta_info.output_top_logprobs?.map((alts) => alts.map(([lp, id]) => [Math.fround(lp), id, null])),
      );
      if ('top_logprobs_num' in body) expect(ours.meta_info.output_top_logprobs).toHaveLength(ours.output_ids.length);
      expect(ours.meta_info.output_token_versions).toEqual(ours.output_ids.map(() => VERSION));
      expect(ours.meta_info.weight_version).toBe(String(VERSION));

      // Streamed (SGLang's default, cumulative): every event holds the answer so far; the last one all of it.
      const stream = await postSse(
        `${gateway.url}/generate`,
        { ...body, stream: true },
        {
          authorization: `Bearer ${session.api_key}`,
        },
      );
      const events = await stream.done;
      expect(stream.status).toBe(200);
      expect(events.at(-1)).toBe('[DONE]');
      const chunks = events.slice(0, -1) as Output[];
      expect(chunks.slice(0, -1).every((c) => c.meta_info.finish_reason === null)).toBe(true);
      const last = chunks.at(-1)!;
      expect(last.output_ids).toEqual(direct.output_ids);
      expect(last.text).toBe(direct.text);
      expect(last.meta_info.finish_reason).toEqual(direct.meta_info.finish_reason);
      for (const chunk of chunks) expect(direct.output_ids.slice(0, chunk.output_ids.length)).toEqual(chunk.output_ids);
    }
    // Each call is one interaction of the session, with the prompt and output as answered.
    const interactions = await recorded(session.session_id);
    expect(interactions).toHaveLength(bodies.length * 2);

    // cached_tokens is the engine's prefix-cache hit for this very request: a prompt the engine has
    // seen (several of its 16-token blocks) counts as cached, as it does straight at the engine.
    const seen = {
      input_ids: await tokenizer.encode('A prompt long enough to fill a few prefix-cache blocks. '.repeat(4)),
      sampling_params: { max_new_tokens: 4 },
    };
    await call('POST', `${engine.url}/generate`, { body: seen });
    const cached = (await generate(seen, session.api_key)).json as Output;
    const again = (await call('POST', `${engine.url}/generate`, { body: seen })).json as Output;
    expect(cached.meta_info.cached_tokens).toBeGreaterThan(0);
    expect(cached.meta_info.cached_tokens).toBe(again.meta_info.cached_tokens);
  });

  it('over a vLLM engine, streaming deltas (--incremental-streaming-output): the engine’s ids, the deltas add up to the answer', async () => {
    const overVllm = await spawnDataProxy(ADMIN, engine.url, [
      '--backend-type',
      'vllm',
      '--incremental-streaming-output',
      'true',
    ]);
    try {
      const prompt = await tokenizer.encode('Count the deltas');
      const body = {
        input_ids: prompt,
        sampling_params: { temperature: 1, sampling_seed: 3, max_new_tokens: 24 },
        return_logprob: true,
      };
      const whole = (await call('POST', `${overVllm.url}/generate`, { body })).json as Output;
      // The same request in vLLM's own terms, straight to the engine.
      const direct = await call('POST', `${engine.url}/v1/completions`, {
        body: { prompt, max_tokens: 24, temperature: 1, seed: 3, logprobs: 0, return_tokens_as_token_ids: true },
      });
      const choice = direct.json.choices[0];
      expect(whole.output_ids).toEqual(
        (choice.logprobs.tokens as string[]).map((token) => Number(token.slice('token_id:'.length))),
      );
      expect(whole.meta_info.output_token_logprobs?.map(([lp]) => lp)).toEqual(
        (choice.logprobs.token_logprobs as number[]).map((lp) => Math.fround(lp)),
      );

      const stream = await postSse(`${overVllm.url}/generate`, { ...body, stream: true });
      const chunks = (await stream.done).slice(0, -1) as Output[];
      expect(chunks.length).toBeGreaterThan(1);
      expect(chunks.flatMap((c) => c.output_ids)).toEqual(whole.output_ids);
      expect(chunks.map((c) => c.text).join('')).toBe(whole.text);
      expect(chunks.flatMap((c) => c.meta_info.output_token_logprobs ?? [])).toEqual(
        whole.meta_info.output_token_logprobs,
      );
      expect(chunks.flatMap((c) => c.meta_info.output_token_versions)).toEqual(whole.meta_info.output_token_versions);
      expect(chunks.at(-1)!.meta_info.completion_tokens).toBe(whole.output_ids.length);
    } finally {
      await overVllm.stop();
    }
  });

  it('batches and n > 1 answer in order, each sample its own interaction; a refused element fails alone', async () => {
    const session = await startSession('generate-batch');
    const prompts = [
      await tokenizer.encode('first prompt'),
      [151_669],
      await tokenizer.encode('a third, longer prompt'),
    ];
    const body = {
      input_ids: prompts,
      sampling_params: { n: 2, temperature: 1, max_new_tokens: 8 },
      return_logprob: true,
      rid: 'batch',
    };
    const res = await generate(body, session.api_key);
    expect(res.status).toBe(200);
    const outputs = res.json as Output[];
    expect(outputs.map((o) => o.meta_info.id)).toEqual([
      'batch_0',
      'batch_1',
      'batch_2',
      'batch_3',
      'batch_4',
      'batch_5',
    ]);
    expect(outputs.map((o) => o.meta_info.prompt_tokens)).toEqual([
      prompts[0].length,
      prompts[0].length,
      undefined,
      undefined,
      prompts[2].length,
      prompts[2].length,
    ]);
    for (const refused of outputs.slice(2, 4)) {
      expect(refused.meta_info.finish_reason).toEqual(
        expect.objectContaining({ type: 'abort', status_code: 400, err_type: 'BadRequestError' }),
      );
      expect(refused.output_ids).toEqual([]);
    }
    const interactions = await recorded(session.session_id);
    expect(interactions.map((i) => i.interaction_id)).toEqual(['batch_0', 'batch_1', 'batch_4', 'batch_5']);
    for (const interaction of interactions) {
      const output = outputs.find((o) => o.meta_info.id === interaction.interaction_id)!;
      expect(interaction.output_ids).toEqual(output.output_ids);
      expect(interaction.prompt_ids).toEqual(prompts[Number(interaction.interaction_id.slice(-1)) < 2 ? 0 : 2]);
    }

    // The same batch streamed: every event names its answer; each answer's last event is what was recorded.
    const stream = await postSse(
      `${gateway.url}/generate`,
      { ...body, rid: 'streamed', stream: true },
      { authorization: `Bearer ${session.api_key}` },
    );
    const events = (await stream.done).slice(0, -1) as Output[];
    const last = new Map<number, Output>();
    for (const event of events) last.set(event.index!, event);
    expect([...last.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(last.get(2)!.meta_info.finish_reason?.status_code).toBe(400);
    const after = await recorded(session.session_id);
    for (const index of [0, 1, 4, 5]) {
      const interaction = after.find((i) => i.interaction_id === `streamed_${index}`)!;
      expect(last.get(index)!.output_ids).toEqual(interaction.output_ids);
    }
  });

  it('bad input gets SGLang’s status and error body, never a 5xx, and records nothing', async () => {
    const session = await startSession('generate-bad');
    const prompt = await tokenizer.encode('fine prompt');
    const cases: [unknown, string][] = [
      [{ input_ids: [1, 151_669] }, 'outside the vocabulary'],
      [{ input_ids: [-5] }, 'outside the vocabulary'],
      [{ input_ids: [] }, 'The input is empty'],
      [{ text: '' }, 'The input is empty'],
      [{ input_ids: prompt, text: 'both' }, 'Either text or input_ids should be provided.'],
      [{}, 'Either text or input_ids should be provided.'],
      [{ input_ids: new Array(CONTEXT).fill(9707) }, "is longer than the model's context length"],
      [
        { input_ids: prompt, sampling_params: { max_new_tokens: CONTEXT } },
        "exceeds the model's maximum context length",
      ],
      [{ input_ids: prompt, sampling_params: { temperature: 'hot' } }, 'temperature must be a number'],
      [{ input_ids: prompt, sampling_params: { top_p: 0 } }, 'top_p must be in (0, 1], got 0.'],
      [{ input_ids: prompt, sampling_params: { n: 0 } }, 'n must be >= 1'],
      [{ input_ids: prompt, sampling_params: { nucleus: 0.9 } }, 'unknown field: nucleus'],
      [{ input_ids: prompt, logprob_start_len: 0 }, 'prompt log-probs'],
    ];
    for (const [body, message] of cases) {
      const res = await generate(body, session.api_key);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.json).toEqual({ error: { message: expect.stringContaining(message) } });
      // Streamed, SGLang refuses inside its 200 stream: one error event, then [DONE].
      const stream = await postSse(
        `${gateway.url}/generate`,
        { ...(body as object), stream: true },
        {
          authorization: `Bearer ${session.api_key}`,
        },
      );
      const events = await stream.done;
      expect(stream.status).toBe(200);
      expect(events).toEqual([
        { error: expect.objectContaining({ message: expect.stringContaining(message), code: 400 }) },
        '[DONE]',
      ]);
    }
    const malformed = await call('POST', `${gateway.url}/generate`, {
      body: '{"input_ids": [1',
      token: session.api_key,
    });
    expect(malformed.status).toBe(400);
    expect(malformed.json).toEqual({ error: { message: expect.any(String) } });
    const noKey = await generate({ input_ids: prompt }, null);
    expect(noKey.status).toBe(401);
    expect(noKey.json).toEqual({ error: { message: expect.any(String) } });
    expect(await recorded(session.session_id)).toEqual([]);
  });

  it('the admin key is served and recorded as online traffic (the HITL session), as chat is', async () => {
    const res = await generate(
      { input_ids: await tokenizer.encode('online'), sampling_params: { max_new_tokens: 4 } },
      ADMIN,
    );
    expect(res.status).toBe(200);
    const interactions = await recorded('__hitl__');
    expect(interactions.map((i) => i.interaction_id)).toContain((res.json as Output).meta_info.id);
  });

  it("vLLM's token-id paths: completions with token-id prompts and chat, with return_token_ids, answer the recorded ids", async () => {
    const session = await startSession('token-ids');
    const auth = { authorization: `Bearer ${session.api_key}` };
    const prompt = await tokenizer.encode('Token ids in, token ids out.');
    // A /generate turn, then a completions turn continuing its exact tokens: one chain across the two APIs.
    const first = (await generate({ input_ids: prompt, sampling_params: { max_new_tokens: 8 } }, session.api_key))
      .json as Output;
    const continued = [...prompt, ...first.output_ids, ...(await tokenizer.encode(' More.'))];
    const completion = await call('POST', `${gateway.url}/v1/completions`, {
      body: { model: 'default', prompt: continued, max_tokens: 8, return_token_ids: true },
      token: session.api_key,
    });
    expect(completion.status).toBe(200);
    const chat = await call('POST', `${gateway.url}/v1/chat/completions`, {
      body: { model: 'default', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, return_token_ids: true },
      token: session.api_key,
    });
    expect(chat.status).toBe(200);
    const streamedCompletion = (await (
      await postSse(
        `${gateway.url}/v1/completions`,
        { model: 'default', prompt, max_tokens: 8, return_token_ids: true, stream: true },
        auth,
      )
    ).done) as Record<string, any>[];
    const streamedChat = (await (
      await postSse(
        `${gateway.url}/v1/chat/completions`,
        { messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, return_token_ids: true, stream: true },
        auth,
      )
    ).done) as Record<string, any>[];
    const chunks = (events: Record<string, any>[]) => events.slice(0, -1);

    const interactions = await recorded(session.session_id);
    expect(interactions).toHaveLength(5);
    const [, viaCompletion, viaChat, viaStreamedCompletion, viaStreamedChat] = interactions;
    expect(viaCompletion.parent_id).toBe(first.meta_info.id);
    expect(completion.json.choices[0].prompt_token_ids).toEqual(viaCompletion.prompt_ids);
    expect(completion.json.choices[0].prompt_token_ids).toEqual(continued);
    expect(completion.json.choices[0].token_ids).toEqual(viaCompletion.output_ids);
    expect(chat.json.prompt_token_ids).toEqual(viaChat.prompt_ids);
    expect(chat.json.choices[0].token_ids).toEqual(viaChat.output_ids);
    const completionChunks = chunks(streamedCompletion);
    expect(completionChunks[0].choices[0].prompt_token_ids).toEqual(viaStreamedCompletion.prompt_ids);
    expect(completionChunks.flatMap((c) => c.choices[0]?.token_ids ?? [])).toEqual(viaStreamedCompletion.output_ids);
    const chatChunks = chunks(streamedChat);
    expect(chatChunks[0].prompt_token_ids).toEqual(viaStreamedChat.prompt_ids);
    expect(chatChunks.flatMap((c) => c.choices[0]?.token_ids ?? [])).toEqual(viaStreamedChat.output_ids);
  });

  it("exports in AReaL's tensor schema too, like chat turns: a chained /generate turn's ids, mask, log-probs and versions", async () => {
    const session = await startSession('generate-rpc');
    const prompt = await tokenizer.encode('Two turns, exported as tensors.');
    const body = (ids: number[]) => ({ input_ids: ids, sampling_params: { max_new_tokens: 8 }, return_logprob: true });
    const one = (await generate(body(prompt), session.api_key)).json as Output;
    const second = [...prompt, ...one.output_ids, ...(await tokenizer.encode(' Next.'))];
    const two = (await generate(body(second), session.api_key)).json as Output;
    const reward = await call('POST', `${gateway.url}/rl/set_reward`, { body: { reward: 1 }, token: session.api_key });
    const exported = await stack.admin('POST', '/export_trajectories', {
      session_id: session.session_id,
      trajectory_id: reward.json.trajectory_id,
      discount: 1,
    });
    expect(exported.status).toBe(200);
    expect(Object.keys(exported.json.interactions)).toEqual([one.meta_info.id, two.meta_info.id]);
    const tensors = exported.json.interactions[two.meta_info.id].tensor_dict as Record<
      string,
      { data: { shard: { data: { shard_id: string } } } }
    >;
    const shardIds = Object.values(tensors).map((ref) => ref.data.shard.data.shard_id);
    const batch = await call('POST', `${proxy.url}/data/batch`, { body: { shard_ids: shardIds } });
    expect(batch.status).toBe(200);
    const [inputIds, lossMask, logprobs, versions] = (JSON.parse(batch.text) as EncodedTensor[]).map(decodeTensor);
    expect(inputIds).toEqual([...second, ...two.output_ids]);
    expect(lossMask).toEqual([...second.map(() => 0), ...two.output_ids.map(() => 1)]);
    expect(logprobs.slice(second.length)).toEqual(two.meta_info.output_token_logprobs!.map(([lp]) => lp));
    expect(versions).toEqual([...second.map(() => -1), ...two.meta_info.output_token_versions]);
  });

  // Last: it moves the data proxy to the next weight version.
  it('a token-level agent loop (growing input_ids, log-probs on) across pause + set_version + continue: answers = export, nothing lost', async () => {
    const EPISODES = 4;
    const TURNS = 3;
    const sessions = await Promise.all(Array.from({ length: EPISODES }, (_, e) => startSession(`agent-loop-${e}`)));
    const underway = deferred();
    const sampling = { temperature: 1, top_p: 1, max_new_tokens: 64 };

    /** One episode the way slime's and verl's rollouts drive SGLang: the whole token history each turn. */
    const episode = async (e: number): Promise<{ inputs: number[][]; outputs: Output[] }> => {
      const session = sessions[e];
      let ids = await tokenizer.encode(`Episode ${e}: solve the task step by step.`);
      const inputs: number[][] = [];
      const outputs: Output[] = [];
      for (let t = 0; t < TURNS; t++) {
        inputs.push(ids);
        const body = { input_ids: ids, sampling_params: sampling, return_logprob: true };
        let output: Output;
        if (e === 0 && t === 1) {
          // This turn streams, so the test knows it is under way when the trainer pauses.
          const stream = await postSse(
            `${gateway.url}/generate`,
            { ...body, stream: true },
            {
              authorization: `Bearer ${session.api_key}`,
            },
          );
          const watch = setInterval(() => {
            if (stream.events.length > 0) underway.resolve();
          }, 5);
          const events = await stream.done;
          clearInterval(watch);
          output = events.at(-2) as Output;
        } else {
          const res = await generate(body, session.api_key);
          expect(res.status).toBe(200);
          output = res.json as Output;
        }
        outputs.push(output);
        const observation = await tokenizer.encode(`\nObservation ${t}: keep going.\n`);
        ids = [...ids, ...output.output_ids, ...observation];
      }
      return { inputs, outputs };
    };

    const running = Promise.all(Array.from({ length: EPISODES }, (_, e) => episode(e)));
    await underway.promise;
    expect((await call('POST', `${proxy.url}/pause_generation`, { token: ADMIN })).status).toBe(200);
    await sleep(100);
    await call('POST', `${proxy.url}/set_version`, { body: { version: VERSION + 1 }, token: ADMIN });
    expect((await call('POST', `${proxy.url}/continue_generation`, { token: ADMIN })).status).toBe(200);
    const episodes = await running;

    // The streamed turn lived through the update: its tokens carry both versions, as spans too.
    const spanning = episodes[0].outputs[1].meta_info;
    expect(new Set(spanning.output_token_versions)).toEqual(new Set([VERSION, VERSION + 1]));
    expect(spanning.weight_versions?.map((s) => s.version)).toEqual([String(VERSION), String(VERSION + 1)]);
    expect(spanning.weight_version).toBe(String(VERSION + 1));

    for (let e = 0; e < EPISODES; e++) {
      const { inputs, outputs } = episodes[e];
      const rows = await rewardAndExport(sessions[e]);
      // Nothing lost: every answer is one exported interaction, chained turn to turn by tokens.
      expect(Object.keys(rows)).toEqual(outputs.map((o) => o.meta_info.id));
      outputs.forEach((output, t) => {
        const row = rows[output.meta_info.id];
        expect(row.parent_id).toBe(t === 0 ? null : outputs[t - 1].meta_info.id);
        const promptLength = row.loss_mask.indexOf(1);
        expect(row.input_ids).toEqual([...inputs[t], ...output.output_ids]);
        expect(promptLength).toBe(inputs[t].length);
        // The caller's answer carries exactly what the export holds.
        expect(row.logprobs.slice(promptLength)).toEqual(output.meta_info.output_token_logprobs!.map(([lp]) => lp));
        expect(row.versions.slice(promptLength)).toEqual(output.meta_info.output_token_versions);
        expect(output.meta_info.output_token_logprobs!.map(([, id]) => id)).toEqual(output.output_ids);
        const versions = output.meta_info.output_token_versions;
        expect(versions.every((v) => v === VERSION || v === VERSION + 1)).toBe(true);
        expect(versions).toEqual([...versions].sort((a, b) => a - b));
      });
    }
  });
});
