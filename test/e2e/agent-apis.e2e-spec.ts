// One unit over 300 lines: the three agent APIs against one running stack, each checked the same
// way (official SDK, streaming and not, a multi-turn tool episode, reward, export replayed on the
// engine), so that they are seen to share one pipeline.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { HfTokenizer } from '@app/tokenizer';
import type { RecordedInteractionDto } from '@app/contracts';
import { call } from '../support/http.js';
import type { SpawnedApp } from '../support/spawn-app.js';
import {
  expectReplaysOnEngine,
  spawnDataProxy,
  startProxySession,
  startWholePath,
  type Session,
  type WholePath,
} from '../support/whole-path.js';
import type { ExportRow } from '../support/export-rows.js';

const ADMIN = 'agent-apis-admin-key';
const VERSION = 3;
const CALL = '<tool_call>\n{"name": "calculator", "arguments": {"expression": "6 * 7"}}\n</tool_call>';

/**
 * gateway → router → data proxy → engine-sim (echo mode: the answer repeats the last user turn, so
 * a user turn holding a `<tool_call>` block makes the model call a tool), every one a real process,
 * driven by the official `openai` and `@anthropic-ai/sdk` clients.
 */
describe('agent APIs: OpenAI Responses, Anthropic Messages, legacy completions', () => {
  let stack: WholePath;
  let engine: SpawnedApp;
  let proxy: SpawnedApp;
  let gateway: SpawnedApp;
  let tokenizer: HfTokenizer;

  beforeAll(async () => {
    tokenizer = await HfTokenizer.load(undefined);
    stack = await startWholePath(ADMIN, { decodeMs: 1, flags: ['--mode', 'echo'] }, VERSION);
    ({ engine, proxy, gateway } = stack);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const admin = (method: string, path: string, body?: unknown) => stack.admin(method, path, body);
  const startSession = (task: string) => stack.startSession(task);
  /** Rewards by interaction id, exports as JSON, and returns the rows by interaction id. */
  const rewardAndExport = (session: Session, rewards: Record<string, number>) =>
    stack.rewardAndExport(session, { rewards });

  /**
   * Every exported output token is what engine-sim produces for that prompt (replayed on the engine
   * itself at the turn's temperature: same ids, same log-probs; echo answers are near-certain at
   * temperature 1), stamped with the version set on the data proxy.
   */
  async function expectEngineProduced(row: ExportRow, temperature = 0): Promise<void> {
    const promptLength = await expectReplaysOnEngine(engine.url, row, temperature);
    const outputIds = row.input_ids.slice(promptLength);
    expect(row.versions.slice(promptLength)).toEqual(outputIds.map(() => VERSION));
    expect(row.versions.slice(0, promptLength).every((v) => v === -1)).toBe(true);
  }

  describe('OpenAI Responses (official openai SDK)', () => {
    it('answers, streams, runs a multi-turn tool episode with previous_response_id; reward and export by response id', async () => {
      const session = await startSession('responses-tools');
      const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: session.api_key, maxRetries: 0 });
      const tools = [
        {
          type: 'function' as const,
          name: 'calculator',
          description: 'Evaluate arithmetic',
          parameters: { type: 'object', properties: { expression: { type: 'string' } } },
          strict: false,
        },
      ];

      // Turn 1: the model calls the tool.
      const first = await client.responses.create({
        model: 'default',
        instructions: 'Use the calculator.',
        input: `Compute this. ${CALL}`,
        tools,
        temperature: 0,
      });
      expect(first.id).toMatch(/^resp_/);
      expect(first.status).toBe('completed');
      const calls = first.output.filter((item) => item.type === 'function_call');
      expect(calls).toEqual([
        expect.objectContaining({ type: 'function_call', name: 'calculator', arguments: '{"expression": "6 * 7"}' }),
      ]);
      expect(first.output[0]).toEqual(expect.objectContaining({ type: 'message' }));
      expect(first.output_text).toBe('Compute this.');
      expect(first.usage?.output_tokens).toBeGreaterThan(0);

      // Turn 2: the tool's result, continuing the recorded conversation by id (streaming).
      const stream = client.responses.stream({
        model: 'default',
        instructions: 'Use the calculator.',
        previous_response_id: first.id,
        input: [{ type: 'function_call_output', call_id: calls[0].call_id, output: '42' }],
        tools,
        temperature: 0,
      });
      const types: string[] = [];
      stream.on('event', (event) => types.push(event.type));
      const second = await stream.finalResponse();
      expect(second.output_text).toBe('<tool_response>\n42\n</tool_response>');
      expect(second.previous_response_id).toBe(first.id);
      expect(types[0]).toBe('response.created');
      expect(types).toContain('response.output_item.added');
      expect(types).toContain('response.output_text.delta');
      expect(types.at(-1)).toBe('response.completed');

      // Turn 3: the agent sends its whole history back as items instead (stateless agents).
      const third = await client.responses.create({
        model: 'default',
        instructions: 'Use the calculator.',
        input: [
          { role: 'user', content: `Compute this. ${CALL}` },
          ...first.output,
          { type: 'function_call_output', call_id: calls[0].call_id, output: '42' },
          ...second.output,
          { role: 'user', content: 'So the answer is 42.' },
        ] as OpenAI.Responses.ResponseInput,
        tools,
        temperature: 0,
      });
      expect(third.output_text).toBe('So the answer is 42.');

      // The recorded turns chain: each one's conversation continues the one before.
      const recorded = await call('GET', `${proxy.url}/rl/sessions/${session.session_id}`, { token: ADMIN });
      const interactions = recorded.json.interactions as RecordedInteractionDto[];
      expect(interactions.map((i) => i.interaction_id)).toEqual([first.id, second.id, third.id]);
      expect(interactions.map((i) => i.parent_id)).toEqual([null, first.id, second.id]);

      const rows = await rewardAndExport(session, { [first.id]: 0.1, [third.id]: 1 });
      expect(Object.keys(rows)).toEqual([first.id, second.id, third.id]);
      expect(rows[third.id].reward).toBe(1);
      expect(rows[first.id].reward).toBeCloseTo(1.1);
      for (const row of Object.values(rows)) await expectEngineProduced(row);
    });

    it('splits a leading think block into a reasoning item, the same way streaming and not', async () => {
      const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: ADMIN, maxRetries: 0 });
      const input = '<think>\nadd them\n</think>\n\nThe sum is 5.';
      const plain = await client.responses.create({ model: 'default', input, temperature: 0, store: false });
      expect(plain.output.map((item) => item.type)).toEqual(['reasoning', 'message']);
      expect(plain.output[0]).toEqual(
        expect.objectContaining({ content: [{ type: 'reasoning_text', text: '\nadd them\n' }] }),
      );
      expect(plain.output_text).toBe('\n\nThe sum is 5.');
      const streamed = await client.responses
        .stream({ model: 'default', input, temperature: 0, store: false })
        .finalResponse();
      // What an agent reads of each item: its type and its text.
      const texts = (output: OpenAI.Responses.ResponseOutputItem[]) =>
        output.map((item) => ({
          type: item.type,
          text: 'content' in item ? (item.content ?? []).map((part) => ('text' in part ? part.text : '')).join('') : '',
        }));
      expect(texts(streamed.output)).toEqual(texts(plain.output));
      expect(streamed.output_text).toBe(plain.output_text);
    });

    it('an unknown previous_response_id is a 404 in the Responses error shape; a bad field a 400', async () => {
      const session = await startSession('responses-errors');
      const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: session.api_key, maxRetries: 0 });
      const missing = await client.responses
        .create({ model: 'default', input: 'hi', previous_response_id: 'resp_nope' })
        .catch((err: unknown) => err);
      expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
      expect((missing as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('previous_response_not_found');
      const bad = await client.responses
        .create({ model: 'default', input: 'hi', max_output_tokens: 0 })
        .catch((err: unknown) => err);
      expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
      expect((bad as Error).message).toContain('max_output_tokens');
      const noKey = await call('POST', `${gateway.url}/v1/responses`, { body: { input: 'hi' } });
      expect(noKey.status).toBe(401);
      expect(noKey.json.error).toEqual(expect.objectContaining({ type: 'authentication_error' }));
    });
  });

  describe('Anthropic Messages (official @anthropic-ai/sdk)', () => {
    const tools = [
      {
        name: 'calculator',
        description: 'Evaluate arithmetic',
        input_schema: { type: 'object' as const, properties: { expression: { type: 'string' } } },
      },
    ];

    it('runs a multi-turn tool episode (x-api-key), streams with thinking; reward and export by message id', async () => {
      const session = await startSession('messages-tools');
      const client = new Anthropic({ baseURL: gateway.url, apiKey: session.api_key, maxRetries: 0 });
      const messages: Anthropic.MessageParam[] = [{ role: 'user', content: `Compute this. ${CALL}` }];

      const first = await client.messages.create({
        model: 'default',
        max_tokens: 128,
        system: 'Use the calculator.',
        messages,
        tools,
      });
      expect(first.id).toMatch(/^msg_/);
      expect(first.stop_reason).toBe('tool_use');
      const toolUse = first.content.find((block) => block.type === 'tool_use');
      expect(toolUse).toEqual(
        expect.objectContaining({ type: 'tool_use', name: 'calculator', input: { expression: '6 * 7' } }),
      );
      expect(first.content[0]).toEqual({ type: 'text', text: 'Compute this.' });

      messages.push({ role: 'assistant', content: first.content });
      messages.push({
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: (toolUse as Anthropic.ToolUseBlock).id, content: '42' }],
      });
      const stream = client.messages.stream({
        model: 'default',
        max_tokens: 128,
        system: 'Use the calculator.',
        messages,
        tools,
      });
      const types: string[] = [];
      stream.on('streamEvent', (event) => types.push(event.type));
      const second = await stream.finalMessage();
      expect(second.content).toEqual([{ type: 'text', text: '<tool_response>\n42\n</tool_response>' }]);
      expect(second.stop_reason).toBe('end_turn');
      expect(types[0]).toBe('message_start');
      expect(types).toEqual(expect.arrayContaining(['content_block_start', 'content_block_delta', 'message_delta']));
      expect(types.at(-1)).toBe('message_stop');

      messages.push({ role: 'assistant', content: second.content });
      messages.push({ role: 'user', content: '<think>\ncheck\n</think>\n\nIt is 42.' });
      const third = await client.messages
        .stream({ model: 'default', max_tokens: 128, system: 'Use the calculator.', messages, tools })
        .finalMessage();
      expect(third.content).toEqual([
        { type: 'thinking', thinking: '\ncheck\n', signature: '' },
        { type: 'text', text: '\n\nIt is 42.' },
      ]);

      const recorded = await call('GET', `${proxy.url}/rl/sessions/${session.session_id}`, { token: ADMIN });
      const interactions = recorded.json.interactions as RecordedInteractionDto[];
      expect(interactions.map((i) => i.parent_id)).toEqual([null, first.id, second.id]);

      const rows = await rewardAndExport(session, { [third.id]: 1 });
      expect(Object.keys(rows)).toEqual([first.id, second.id, third.id]);
      for (const row of Object.values(rows)) await expectEngineProduced(row, 1);
    });

    it('stop sequences, max_tokens, count_tokens with the real template, errors in the Anthropic shape', async () => {
      const client = new Anthropic({ baseURL: gateway.url, apiKey: ADMIN, maxRetries: 0 });
      const stopped = await client.messages.create({
        model: 'default',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'one two STOP three' }],
        stop_sequences: ['STOP'],
      });
      expect(stopped).toEqual(
        expect.objectContaining({
          stop_reason: 'stop_sequence',
          stop_sequence: 'STOP',
          content: [{ type: 'text', text: 'one two ' }],
        }),
      );
      const cut = await client.messages.create({
        model: 'default',
        max_tokens: 2,
        messages: [{ role: 'user', content: 'a long answer that will not fit' }],
      });
      expect(cut.stop_reason).toBe('max_tokens');
      expect(cut.usage.output_tokens).toBe(2);

      const counted = await client.messages.countTokens({
        model: 'default',
        system: 'Use the calculator.',
        messages: [{ role: 'user', content: 'What is 6 * 7?' }],
        tools,
      });
      const answered = await client.messages.create({
        model: 'default',
        max_tokens: 4,
        system: 'Use the calculator.',
        messages: [{ role: 'user', content: 'What is 6 * 7?' }],
        tools,
      });
      expect(counted.input_tokens).toBe(answered.usage.input_tokens + (answered.usage.cache_read_input_tokens ?? 0));

      const missing = await client.messages
        .create({
          model: 'default',
          messages: [{ role: 'user', content: 'hi' }],
        } as unknown as Anthropic.MessageCreateParamsNonStreaming)
        .catch((err: unknown) => err);
      expect(missing).toBeInstanceOf(Anthropic.BadRequestError);
      expect((missing as InstanceType<typeof Anthropic.BadRequestError>).error).toEqual(
        expect.objectContaining({
          type: 'error',
          error: { type: 'invalid_request_error', message: 'max_tokens is required' },
        }),
      );
      const stranger = new Anthropic({ baseURL: gateway.url, apiKey: 'not-a-key', maxRetries: 0 });
      await expect(
        stranger.messages.create({ model: 'default', max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] }),
      ).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    });
  });

  it('concat mode: a Responses turn (previous_response_id) and a Messages turn continue their parent token for token', async () => {
    const concat = await spawnDataProxy(ADMIN, engine.url, ['--chat-template-type', 'concat']);
    try {
      const start = (task: string) => startProxySession(concat.url, ADMIN, task);
      const expectContinued = async ({ session_id: sessionId, api_key }: Session) => {
        const recorded = await call('GET', `${concat.url}/rl/sessions/${sessionId}`, { token: ADMIN });
        const [a, b] = recorded.json.interactions as RecordedInteractionDto[];
        expect(b.parent_id).toBe(a.interaction_id);
        expect(b.prompt_ids.slice(0, a.prompt_ids.length + a.output_ids.length)).toEqual([
          ...a.prompt_ids,
          ...a.output_ids,
        ]);
        // Concat export: one row holding both turns, each model token trained once.
        await call('POST', `${concat.url}/rl/set_reward`, { body: { reward: 1 }, token: api_key });
        const exported = await call('POST', `${concat.url}/export_trajectories`, {
          body: { session_id: sessionId, style: 'concat', format: 'json' },
          token: ADMIN,
        });
        const rows = Object.values(exported.json.interactions as Record<string, ExportRow>);
        expect(rows).toHaveLength(1);
        expect(rows[0].loss_mask.filter((m) => m === 1)).toHaveLength(a.output_ids.length + b.output_ids.length);
      };

      const responses = await start('concat-responses');
      const openai = new OpenAI({ baseURL: `${concat.url}/v1`, apiKey: responses.api_key, maxRetries: 0 });
      const one = await openai.responses.create({ model: 'default', input: 'First question', temperature: 0 });
      await openai.responses.create({
        model: 'default',
        previous_response_id: one.id,
        input: 'Second question',
        temperature: 0,
      });
      await expectContinued(responses);

      const messages = await start('concat-messages');
      const anthropic = new Anthropic({ baseURL: concat.url, apiKey: messages.api_key, maxRetries: 0 });
      const history: Anthropic.MessageParam[] = [{ role: 'user', content: 'First question' }];
      const first = await anthropic.messages.create({ model: 'default', max_tokens: 64, messages: history });
      history.push({ role: 'assistant', content: first.content }, { role: 'user', content: 'Second question' });
      await anthropic.messages.create({ model: 'default', max_tokens: 64, messages: history });
      await expectContinued(messages);
    } finally {
      await concat.stop();
    }
  });

  describe('legacy completions (official openai SDK)', () => {
    it('completes a raw prompt (text and token ids, never templated), streams, chains turns by tokens, exports', async () => {
      const session = await startSession('completions');
      const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: session.api_key, maxRetries: 0 });
      const first = await client.completions.create({
        model: 'default',
        prompt: 'count: one two three',
        max_tokens: 5,
        temperature: 0,
        logprobs: 1,
      });
      expect(first.id).toMatch(/^cmpl-/);
      expect(first.object).toBe('text_completion');
      expect(first.choices[0].finish_reason).toBe('length');
      expect(first.usage?.completion_tokens).toBe(5);
      expect(first.choices[0].logprobs?.token_logprobs).toHaveLength(5);
      expect(first.choices[0].logprobs?.tokens?.join('')).toBe(first.choices[0].text);

      // Turn 2 continues turn 1 token for token: its prompt is turn 1's prompt + output + more.
      const before = await call('GET', `${proxy.url}/rl/sessions/${session.session_id}`, { token: ADMIN });
      const turn1 = (before.json.interactions as RecordedInteractionDto[])[0];
      expect(turn1.prompt_ids).toEqual(await tokenizer.encode('count: one two three', true));
      const tokenPrompt = [...turn1.prompt_ids, ...turn1.output_ids];
      const chunks: string[] = [];
      let finish: string | null = null;
      const stream = await client.completions.create({
        model: 'default',
        prompt: [...tokenPrompt, ...(await tokenizer.encode(' four'))],
        max_tokens: 3,
        temperature: 0,
        stream: true,
      });
      for await (const chunk of stream) {
        chunks.push(chunk.choices[0]?.text ?? '');
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      expect(finish).toBe('length');
      expect(chunks.join('').length).toBeGreaterThan(0);

      const recorded = await call('GET', `${proxy.url}/rl/sessions/${session.session_id}`, { token: ADMIN });
      const interactions = recorded.json.interactions as RecordedInteractionDto[];
      expect(interactions[1].parent_id).toBe(first.id);

      const rows = await rewardAndExport(session, { [first.id]: 1 });
      expect(Object.keys(rows)).toHaveLength(2);
      for (const row of Object.values(rows)) await expectEngineProduced(row);
    });
  });

  it("AReaL 2.0's traj schema exports Responses and Messages turns like chat turns", async () => {
    const session = await startSession('agent-apis-traj');
    const openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: session.api_key, maxRetries: 0 });
    const anthropic = new Anthropic({ baseURL: gateway.url, apiKey: session.api_key, maxRetries: 0 });
    await openai.responses.create({ model: 'default', input: 'first turn', temperature: 0 });
    await anthropic.messages.create({
      model: 'default',
      max_tokens: 32,
      messages: [{ role: 'user', content: 'second' }],
    });
    const recorded = (await call('GET', `${proxy.url}/rl/sessions/${session.session_id}`, { token: ADMIN })).json
      .interactions as RecordedInteractionDto[];
    await call('POST', `${gateway.url}/rl/set_reward`, { body: { reward: 0.5 }, token: session.api_key });
    const exported = await admin('POST', '/export_trajectories', {
      session_ids: [session.session_id],
      schema: 'traj',
      format: 'json',
    });
    expect(exported.status).toBe(200);
    const traj = exported.json.traj as { input_ids: number[][]; versions: number[][]; rewards: number[] };
    for (const turn of recorded) {
      const tokens = [...turn.prompt_ids, ...turn.output_ids];
      const row = traj.input_ids.findIndex((ids) => tokens.every((id, i) => ids[i] === id));
      expect(row).toBeGreaterThanOrEqual(0);
      expect(traj.versions[row].slice(turn.prompt_ids.length, tokens.length).every((v) => v === VERSION)).toBe(true);
    }
  });

  // Last: it moves the data proxy to the next weight version.
  it('pause, new weights, continue mid-stream: Messages and Responses streams carry on; versions change where the weights did', async () => {
    const session = await startSession('agent-apis-pause');
    const long = Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ');
    const anthropic = new Anthropic({ baseURL: gateway.url, apiKey: session.api_key, maxRetries: 0 });
    const openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: session.api_key, maxRetries: 0 });
    const messageStream = anthropic.messages.stream({
      model: 'default',
      max_tokens: 4096,
      messages: [{ role: 'user', content: long }],
    });
    const responseStream = openai.responses.stream({
      model: 'default',
      input: long,
      temperature: 0,
      max_output_tokens: 4096,
    });
    // Both streams are under way (first text seen) when the trainer pauses and updates the weights.
    await Promise.all([
      new Promise((resolve) => messageStream.once('text', resolve)),
      new Promise((resolve) => responseStream.once('response.output_text.delta', resolve)),
    ]);
    expect((await call('POST', `${proxy.url}/pause_generation`, { token: ADMIN })).status).toBe(200);
    await call('POST', `${proxy.url}/set_version`, { body: { version: VERSION + 1 }, token: ADMIN });
    expect((await call('POST', `${proxy.url}/continue_generation`, { token: ADMIN })).status).toBe(200);
    const [message, response] = await Promise.all([messageStream.finalMessage(), responseStream.finalResponse()]);
    expect(message.content).toEqual([{ type: 'text', text: long }]);
    expect(response.output_text).toBe(long);

    const rows = Object.values(await rewardAndExport(session, { [message.id]: 1, [response.id]: 1 }));
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const versions = row.versions.slice(row.loss_mask.indexOf(1));
      expect(versions[0]).toBe(VERSION);
      expect(versions.at(-1)).toBe(VERSION + 1);
      expect(versions.every((v, i) => i === 0 || v >= versions[i - 1])).toBe(true);
    }
  });
});
