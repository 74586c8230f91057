// One unit over 300 lines: the agent frameworks against one running stack, each run the same way
// (a multi-turn tool episode, streamed and not, then reward, export and a replay of every exported
// token on the engine), so that they are seen to get the same treatment.
import { format } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import OpenAI from 'openai';
import { z } from 'zod';
import {
  Agent,
  type AgentOutputType,
  OpenAIChatCompletionsModel,
  OpenAIResponsesModel,
  run,
  setDefaultOpenAIClient,
  setOpenAIAPI,
  setTracingDisabled,
  tool as agentTool,
} from '@openai/agents';
import { ChatOpenAI } from '@langchain/openai';
import { ChatAnthropic } from '@langchain/anthropic';
import { tool as langchainTool } from '@langchain/core/tools';
import { AIMessage, HumanMessage, type BaseMessage, type ToolMessage } from '@langchain/core/messages';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { createReactAgent } from '@langchain/langgraph/prebuilt';
import type { SpawnedApp } from '../support/spawn-app.js';
import { expectReplaysOnEngine, startWholePath, type Session, type WholePath } from '../support/whole-path.js';

const ADMIN = 'agent-frameworks-admin-key';
const VERSION = 5;
const INSTRUCTIONS = 'Use the calculator.';
/** engine-sim (echo mode) repeats the user's turn: this one makes the model call the calculator. */
const QUESTION =
  'Compute this. <tool_call>\n{"name": "calculator", "arguments": {"expression": "6 * 7"}}\n</tool_call>';
/** The model's last turn: it repeats the tool's answer as Qwen's template shows it to the model. */
const FINAL = '<tool_response>\n42\n</tool_response>';

/** The structured-output tests' schema (the frameworks turn it into a strict JSON schema). */
const DISTANCE = z.object({ answer: z.number().int(), unit: z.enum(['m', 'km']) });

const LOOPBACK = /^https?:\/\/(127\.0\.0\.1|localhost)(:|\/|$)/;
/**
 * LangChain's streaming chat models estimate token usage with tiktoken tables they download from
 * this CDN. Answered here with something that is not a table, they fall back to an approximate
 * count at once (an HTTP error would make them retry for a minute).
 */
const TIKTOKEN_CDN = 'https://tiktoken.pages.dev';

/**
 * The fetch every framework here sends its requests with (the openai and Anthropic SDKs, LangChain):
 * loopback passes, nothing else reaches the network, and every other origin asked for is
 * remembered, so a framework that phones home (tracing, telemetry) fails the suite.
 */
function loopbackOnlyFetch(real: typeof fetch, outside: string[]): typeof fetch {
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (LOOPBACK.test(url.origin)) return real(input, init);
    outside.push(url.origin);
    if (url.origin === TIKTOKEN_CDN) return Promise.resolve(new Response('offline'));
    return Promise.reject(new TypeError(`refused a request to ${url.origin}: tests stay on loopback`));
  };
}

/**
 * gateway → router → data proxy → engine-sim, every one a real process, driven by the agent
 * frameworks as their users run them: the OpenAI Agents SDK (Responses and chat-completions
 * models), LangChain's ChatOpenAI with bound tools, LangGraph's prebuilt ReAct agent, and
 * LangChain's ChatAnthropic.
 */
describe('agent frameworks run unchanged against the stack', () => {
  let stack: WholePath;
  let engine: SpawnedApp;
  let gateway: SpawnedApp;
  const realFetch = globalThis.fetch;
  const outside: string[] = [];

  beforeAll(async () => {
    globalThis.fetch = loopbackOnlyFetch(realFetch, outside);
    // LangChain says so each time it falls back to its approximate token count (see TIKTOKEN_CDN).
    jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
      if (!String(args[0]).startsWith('Failed to calculate number of tokens'))
        process.stderr.write(`${format(...args)}\n`);
    });
    // The Agents SDK exports traces to OpenAI unless told not to.
    setTracingDisabled(true);
    stack = await startWholePath(ADMIN, { decodeMs: 1, flags: ['--mode', 'echo'] }, VERSION);
    ({ engine, gateway } = stack);
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    globalThis.fetch = realFetch;
    jest.restoreAllMocks();
    // Nothing left the machine; the only outside origin asked for is LangChain's tokenizer tables.
    expect([...new Set(outside)].filter((origin) => origin !== TIKTOKEN_CDN)).toEqual([]);
  });

  const startSession = (task: string) => stack.startSession(task);

  /**
   * The episode's reward and export: one recorded interaction per model call, keyed by the ids
   * the framework received, each one's output tokens and log-probs exactly what the engine
   * produces for its prompt (replayed on engine-sim at the turn's temperature, 0), stamped with
   * the version the data proxy was set to.
   */
  async function expectRecorded(session: Session, ids: string[], replay = true): Promise<void> {
    const rows = await stack.rewardAndExport(session, { reward: 1 });
    expect(Object.keys(rows)).toEqual(ids);
    for (const row of Object.values(rows)) {
      expect(row.reward).toBe(1);
      expect(row.logprobs).toHaveLength(row.input_ids.length);
      const promptLength = row.loss_mask.indexOf(1);
      expect(promptLength).toBeGreaterThan(0);
      const outputIds = row.input_ids.slice(promptLength);
      expect(row.versions.slice(promptLength)).toEqual(outputIds.map(() => VERSION));
      // A constrained answer replays only under the framework's own schema, which this test does not see.
      if (!replay) {
        expect(row.logprobs.slice(promptLength).every((lp) => Number.isFinite(lp) && lp <= 0)).toBe(true);
        continue;
      }
      await expectReplaysOnEngine(engine.url, row);
    }
  }

  const openai = (apiKey: string) => new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey, maxRetries: 0 });

  describe('OpenAI Agents SDK', () => {
    const calculator = agentTool({
      name: 'calculator',
      description: 'Evaluate arithmetic',
      parameters: z.object({ expression: z.string() }),
      execute: () => Promise.resolve('42'),
    });

    async function runAgent<Output extends AgentOutputType>(
      agent: Agent<unknown, Output>,
      stream: boolean,
    ): Promise<{ output: unknown; ids: string[] }> {
      if (stream) {
        const result = await run(agent, QUESTION, { stream: true });
        for await (const event of result) void event;
        await result.completed;
        return { output: result.finalOutput, ids: result.rawResponses.map((r) => r.responseId ?? '') };
      }
      const result = await run(agent, QUESTION);
      return { output: result.finalOutput, ids: result.rawResponses.map((r) => r.responseId ?? '') };
    }

    const API_RUNS = [
      ['Responses', false],
      ['Responses', true],
      ['chat-completions', false],
      ['chat-completions', true],
    ] as const;
    type Api = (typeof API_RUNS)[number][0];
    const modelFor = (api: Api, client: OpenAI) =>
      api === 'Responses'
        ? new OpenAIResponsesModel(client, 'default')
        : new OpenAIChatCompletionsModel(client, 'default');

    it.each(API_RUNS)('%s model (stream: %s): a tool episode, rewarded and exported', async (api, stream) => {
      const session = await startSession(`agents-${api === 'Responses' ? 'responses' : 'chat'}-${stream}`);
      const agent = new Agent({
        name: 'calculator agent',
        instructions: INSTRUCTIONS,
        model: modelFor(api, openai(session.api_key)),
        modelSettings: { temperature: 0 },
        tools: [calculator],
      });
      const { output, ids } = await runAgent(agent, stream);
      expect(output).toBe(FINAL);
      expect(ids).toHaveLength(2);
      expect(ids.every((id) => id.startsWith(api === 'Responses' ? 'resp_' : 'chatcmpl-'))).toBe(true);
      await expectRecorded(session, ids);
    });

    it.each(API_RUNS)(
      '%s model, structured output (stream: %s): the answer is the schema’s, as the SDK parses it',
      async (api, stream) => {
        const session = await startSession(`agents-structured-${api}-${stream}`);
        const agent = new Agent({
          name: 'measuring agent',
          instructions: 'Answer with the distance.',
          model: modelFor(api, openai(session.api_key)),
          modelSettings: { temperature: 0 },
          outputType: DISTANCE,
        });
        const { output, ids } = await runAgent(agent, stream);
        // The SDK parsed the answer with the zod schema itself; parse again to see it here.
        expect(DISTANCE.safeParse(output).success).toBe(true);
        expect(ids).toHaveLength(1);
        await expectRecorded(session, ids, false);
      },
    );

    it('the default client with setOpenAIAPI("chat_completions"): a model named by string', async () => {
      const session = await startSession('agents-default-client');
      setDefaultOpenAIClient(openai(session.api_key));
      setOpenAIAPI('chat_completions');
      try {
        const agent = new Agent({
          name: 'calculator agent',
          instructions: INSTRUCTIONS,
          model: 'default',
          modelSettings: { temperature: 0 },
          tools: [calculator],
        });
        const { output, ids } = await runAgent(agent, false);
        expect(output).toBe(FINAL);
        expect(ids.every((id) => id.startsWith('chatcmpl-'))).toBe(true);
        await expectRecorded(session, ids);
      } finally {
        setOpenAIAPI('responses');
      }
    });
  });

  describe('LangChain and LangGraph', () => {
    const calculator = langchainTool(() => Promise.resolve('42'), {
      name: 'calculator',
      description: 'Evaluate arithmetic',
      schema: z.object({ expression: z.string() }),
    });

    /** The tool loop as LangChain's docs write it: invoke, run the calls, send their results back. */
    async function toolLoop(model: BaseChatModel): Promise<{ final: AIMessage; ids: string[] }> {
      const bound = model.bindTools!([calculator]);
      const messages: BaseMessage[] = [new HumanMessage(QUESTION)];
      const ids: string[] = [];
      for (;;) {
        const answer = (await bound.invoke(messages)) as AIMessage;
        ids.push(answer.id ?? '');
        messages.push(answer);
        if (!answer.tool_calls?.length) return { final: answer, ids };
        for (const toolCall of answer.tool_calls) {
          // A tool invoked with a tool call answers with its ToolMessage.
          const result: ToolMessage = await calculator.invoke(toolCall);
          messages.push(result);
        }
        expect(ids.length).toBeLessThan(4);
      }
    }

    /** LangChain's OpenAI chat model against the gateway, at temperature 0. */
    const chatOpenAi = (apiKey: string, streaming: boolean) =>
      new ChatOpenAI({
        model: 'default',
        temperature: 0,
        streaming,
        maxRetries: 0,
        apiKey,
        configuration: { baseURL: `${gateway.url}/v1` },
      });

    it.each([false, true])('ChatOpenAI with bound tools (streaming: %s)', async (streaming) => {
      const session = await startSession(`langchain-openai-${streaming}`);
      const model = chatOpenAi(session.api_key, streaming);
      const { final, ids } = await toolLoop(model);
      expect(final.content).toBe(FINAL);
      expect(ids).toHaveLength(2);
      await expectRecorded(session, ids);
    });

    it.each([false, true])('ChatOpenAI withStructuredOutput, JSON schema (streaming: %s)', async (streaming) => {
      const session = await startSession(`langchain-structured-${streaming}`);
      const model = chatOpenAi(session.api_key, streaming);
      const structured = model.withStructuredOutput(DISTANCE, { method: 'jsonSchema', strict: true, includeRaw: true });
      const { parsed, raw } = await structured.invoke([new HumanMessage('How far is it?')]);
      expect(DISTANCE.safeParse(parsed).success).toBe(true);
      await expectRecorded(session, [raw.id ?? ''], false);
    });

    it.each([false, true])('LangGraph createReactAgent (streaming: %s)', async (streaming) => {
      const session = await startSession(`langgraph-${streaming}`);
      const llm = chatOpenAi(session.api_key, streaming);
      const agent = createReactAgent({ llm, tools: [calculator], prompt: INSTRUCTIONS });
      const state = await agent.invoke({ messages: [new HumanMessage(QUESTION)] });
      const answers = state.messages.filter((m: BaseMessage): m is AIMessage => m instanceof AIMessage);
      expect(answers).toHaveLength(2);
      expect(answers[0].tool_calls?.[0]).toEqual(
        expect.objectContaining({ name: 'calculator', args: { expression: '6 * 7' } }),
      );
      expect(answers.at(-1)!.content).toBe(FINAL);
      await expectRecorded(
        session,
        answers.map((m) => m.id ?? ''),
      );
    });

    it.each([false, true])('ChatAnthropic with bound tools (streaming: %s)', async (streaming) => {
      const session = await startSession(`langchain-anthropic-${streaming}`);
      const model = new ChatAnthropic({
        model: 'default',
        temperature: 0,
        maxTokens: 256,
        streaming,
        maxRetries: 0,
        apiKey: session.api_key,
        anthropicApiUrl: gateway.url,
      });
      const { final, ids } = await toolLoop(model);
      const text =
        typeof final.content === 'string'
          ? final.content
          : final.content.map((b) => ('text' in b ? b.text : '')).join('');
      expect(text).toBe(FINAL);
      expect(ids).toHaveLength(2);
      expect(ids.every((id) => id.startsWith('msg_'))).toBe(true);
      await expectRecorded(session, ids);
    });
  });
});
