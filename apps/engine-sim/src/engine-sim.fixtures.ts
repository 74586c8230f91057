import { startInProcess, type InjectedResponse, type InProcessApp } from '@app/common/testing';
import { ENGINE_SIM_APP } from './engine-sim.app.js';

export interface TestEngine {
  app: InProcessApp;
  post(url: string, body?: unknown): Promise<InjectedResponse>;
  get(url: string): Promise<InjectedResponse>;
  close(): Promise<void>;
}

/** The Qwen3 chat prefix `<|im_start|>user\n`, as token ids. */
export const PROMPT_IDS = [151644, 872, 198];

/**
 * engine-sim in-process through Fastify's inject (real tokenizer, real sampling, no decode delay),
 * with fault injection, the memory saver, vLLM's dev-mode endpoints and sleep mode on.
 */
export async function startEngineSim(): Promise<TestEngine> {
  const app = await startInProcess(ENGINE_SIM_APP, [
    '--decode-ms-per-token',
    '0',
    '--health-generation',
    'false',
    '--enable-fault-injection',
    '--enable-memory-saver',
    '--vllm-server-dev-mode',
    '--enable-sleep-mode',
  ]);
  return {
    app,
    post: (url, body) => app.request('POST', url, { body }),
    get: (url) => app.request('GET', url),
    close: () => app.close(),
  };
}
