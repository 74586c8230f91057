import { afterAll, beforeAll, expect, jest } from '@jest/globals';
import { MockAgent } from 'undici';
import { startInProcess, type InProcessApp } from '@app/common/testing';
import type { RequestSurface } from '@app/contracts';
import { HfTokenizer } from '@app/tokenizer';
import { DATA_PROXY_APP } from '../../../apps/data-proxy/src/data-proxy.app.js';
import type { GenerateInput } from '../../../apps/data-proxy/src/inference/generation.js';
import { InfBridgeService } from '../../../apps/data-proxy/src/inference/inf-bridge.service.js';
import { spawnEngineSim, type SpawnedApp } from '../../support/spawn-app.js';
import { parseSseText } from '../../support/sse.js';

const ADMIN = 'request-surface-admin';

/** One turn as a test sees it: the answer, what reached the engine, what was recorded. */
export interface Exchange {
  status: number;
  /** The JSON answer (or error); for a stream, null. */
  json: any;
  /** The stream's `data:` payloads (`[DONE]` as the string), or null. */
  events: any[] | null;
  /** The visible text of the answer (streamed or not). */
  content: string;
  /** What the data proxy asked the engine for, and the prompt it rendered (decoded). */
  input: GenerateInput | undefined;
  prompt: string;
  /** The interaction recorded for this turn, if one was. */
  recorded: RecordedInteraction | undefined;
}

export interface RecordedInteraction {
  interaction_id: string;
  prompt_ids: number[];
  output_ids: number[];
  output_logprobs: number[];
}

/**
 * One API's request surface, for the suites generated from its handling table: where it is
 * served, its minimal request, and how to read an answer and an error of it.
 */
export interface ApiUnderTest {
  name: string;
  path: string;
  surface: RequestSurface;
  base: Record<string, unknown>;
  /** The id of a (non-streamed) answer, or of a stream's first event. */
  answerId(x: { json: any; events: any[] | null }): string | undefined;
  content(x: { json: any; events: any[] | null }): string;
  /** Checks a 400 is in this API's error shape and names `field`. */
  expectRefusal(x: Exchange, field: string): void;
}

/** A value a sample sends, with the fields it needs beside it and the effect it must have. */
export interface Sample {
  value: unknown;
  /** Builds the value from earlier turns (a response id to continue, an item to refer to). */
  prepare?: (send: (body: Record<string, unknown>) => Promise<Exchange>) => Promise<unknown>;
  with?: Record<string, unknown>;
  /**
   * An honored field's effect (on the answer, the engine request, the recording); a check that
   * takes two arguments also gets the answer to the same request without the field.
   */
  check?: (x: Exchange, base: Exchange) => void;
  /** A value of an honored field that is refused (a 4xx naming the field: 400 unless `status` says). */
  refused?: boolean;
  status?: number;
  /** The fuzz suite never combines two samples of one group (mutually exclusive settings). */
  group?: string;
  /** Valid only with the suite's short prompts (the fuzz suite leaves it out). */
  shortPromptOnly?: boolean;
}

/** A whole request that uses one value of a kind table (a role, a part type …). */
export interface KindSample {
  body: Record<string, unknown>;
  prepare?: (send: (body: Record<string, unknown>) => Promise<Exchange>) => Promise<Record<string, unknown>>;
  /** Where a refusal names it (default: the refusal names the kind value's place). */
  param?: string;
  check?: (x: Exchange) => void;
}

export type FieldSamples<S extends RequestSurface> = {
  [K in keyof S['fields'] | keyof S['extensions']]: Sample[];
};

/**
 * Per kind table: a request for each honored (or ignored) value, and how any refused value is
 * sent (one builder, since a refused value needs no more than its name in the right place).
 */
export type KindSamples<S extends RequestSurface> = {
  [T in keyof S['kinds']]: {
    samples: Partial<Record<keyof S['kinds'][T], KindSample>>;
    refusedAs?: (kind: string) => KindSample;
  };
};

/**
 * engine-sim (echo mode: the answer repeats the user's last turn) as a real process, and the data
 * proxy in this process, exactly as its main.ts builds it, so every engine request it makes can
 * be seen (the bridge is watched, not replaced). All requests run in one recorded session.
 */
export class SurfaceStack {
  private readonly inputs: GenerateInput[] = [];

  private constructor(
    readonly engine: SpawnedApp,
    readonly proxy: InProcessApp,
    readonly tokenizer: HfTokenizer,
    private readonly session: { session_id: string; api_key: string },
  ) {
    const bridge = proxy.app.get(InfBridgeService);
    const generate = bridge.generate.bind(bridge);
    jest.spyOn(bridge, 'generate').mockImplementation((input: GenerateInput) => {
      this.inputs.push(input);
      return generate(input);
    });
  }

  static async start(): Promise<SurfaceStack> {
    const engine = await spawnEngineSim(0, ['--mode', 'echo']);
    const upstream = new MockAgent();
    upstream.disableNetConnect();
    upstream.enableNetConnect(/^127\.0\.0\.1:\d+$/);
    const proxy = await startInProcess(DATA_PROXY_APP, ['--admin-api-key', ADMIN, '--backend-addr', engine.url], {
      upstream,
    });
    const started = await proxy.request('POST', '/rl/start_session', { body: { task_id: 'surface' }, token: ADMIN });
    expect(started.status).toBe(201);
    return new SurfaceStack(engine, proxy, await HfTokenizer.load(), started.json);
  }

  /** One stack for the enclosing describe block: started before its tests, stopped after them. */
  static forSuite(): Pick<SurfaceStack, 'send'> {
    let stack: SurfaceStack | undefined;
    beforeAll(async () => {
      stack = await SurfaceStack.start();
    }, 60_000);
    afterAll(async () => {
      await stack?.stop();
    });
    return { send: (api, body, inspect) => stack!.send(api, body, inspect) };
  }

  async stop(): Promise<void> {
    await this.proxy.close();
    await this.engine.stop();
  }

  /** Sends one request of `api` with the session's key and gathers what it did (`inspect`: and what was recorded). */
  async send(api: ApiUnderTest, body: Record<string, unknown>, inspect = true): Promise<Exchange> {
    const before = this.inputs.length;
    const res = await this.proxy.request('POST', api.path, { body, token: this.session.api_key });
    const contentType = res.headers['content-type'];
    const streamed = typeof contentType === 'string' && contentType.includes('text/event-stream');
    const events = streamed ? parseSseText(res.text) : null;
    const json = streamed ? null : res.json;
    const input = this.inputs.length > before ? this.inputs[this.inputs.length - 1] : undefined;
    let recorded: RecordedInteraction | undefined;
    const id = res.status === 200 && inspect ? api.answerId({ json, events }) : undefined;
    if (id !== undefined) {
      const inspection = await this.proxy.request('GET', `/rl/sessions/${this.session.session_id}`, { token: ADMIN });
      recorded = (inspection.json.interactions as RecordedInteraction[]).find((i) => i.interaction_id === id);
    }
    return {
      status: res.status,
      json,
      events,
      content: res.status === 200 ? api.content({ json, events }) : '',
      input,
      prompt: input ? this.tokenizer.decode(Array.from(input.promptIds)) : '',
      recorded,
    };
  }
}

/** What reached the engine, minus what differs between any two requests (ids, callbacks, signals). */
export function engineRequest(x: Exchange): unknown {
  if (!x.input) return undefined;
  return { promptIds: x.input.promptIds, maxNewTokens: x.input.maxNewTokens, sampling: x.input.sampling };
}
