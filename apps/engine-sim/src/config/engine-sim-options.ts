import { COMMON_OPTIONS, VLLM_PAUSE_APIS, type OptionSpecs, type ParsedOptions } from '@app/common';

export const ENGINE_PROTOCOLS = ['both', 'sglang', 'vllm'] as const;
export const GENERATION_MODES = ['text', 'echo', 'agent'] as const;

/** engine-sim flags. Latency knobs are per token; 0 makes the engine as fast as the CPU allows. */
export const ENGINE_SIM_OPTIONS = {
  ...COMMON_OPTIONS,
  port: { ...COMMON_OPTIONS.port, default: 30000 },
  'max-body-bytes': { ...COMMON_OPTIONS['max-body-bytes'], default: 32 * 1024 * 1024 },
  'tokenizer-path': {
    type: 'string',
    description:
      'Hugging Face model or tokenizer folder (tokenizer.json, tokenizer_config.json; generation_config.json eos ids are stop tokens); default: the built-in Qwen3 files',
  },
  'chat-template': {
    type: 'string',
    description:
      "chat template file (Jinja), accepted as SGLang's and vLLM's --chat-template are (the controller passes the data proxies' one): engine-sim takes token ids and renders nothing, but a missing file is refused at start",
  },
  'served-model-name': {
    type: 'string',
    default: 'engine-sim',
    description: 'model name reported by /v1/models and /get_model_info',
  },
  protocol: {
    type: 'string',
    default: 'both',
    choices: ENGINE_PROTOCOLS,
    description: 'which HTTP protocol families to serve',
  },
  mode: {
    type: 'string',
    default: 'text',
    choices: GENERATION_MODES,
    description:
      "text: readable text from a built-in corpus; echo: repeat the last user turn of the prompt; agent: answer like a tool-using model in the tokenizer's family format (Qwen, Llama 3.1, DeepSeek V3, gpt-oss): a call to the first offered tool after a user turn, a final answer after a tool result, echo otherwise",
  },
  seed: {
    type: 'int',
    default: 0,
    min: 0,
    description: 'seed of the per-request random streams (requests may pass their own)',
  },
  'prefill-us-per-token': {
    type: 'float',
    default: 10,
    min: 0,
    description: 'simulated prefill time per prompt token its prefix cache does not hold, in microseconds',
  },
  'decode-ms-per-token': {
    type: 'float',
    default: 5,
    min: 0,
    description: 'simulated time per decoding step, in milliseconds',
  },
  'max-running': { type: 'int', default: 256, min: 1, description: 'requests decoded at once; the rest queue' },
  'min-output-tokens': { type: 'int', default: 16, min: 1, description: 'text mode: shortest answer before EOS' },
  'max-output-tokens': { type: 'int', default: 96, min: 1, description: 'text mode: longest answer before EOS' },
  'context-length': { type: 'int', default: 32768, min: 16, description: 'prompt + new tokens may not exceed this' },
  'weight-version': {
    type: 'string',
    default: 'default',
    description: 'initial weight version reported in meta_info.weight_version (SGLang starts at "default")',
  },
  'api-key': {
    type: 'string',
    secret: true,
    description:
      "the engines' --api-key: SGLang requires it on normal endpoints (and on control ones when no admin key is set); vLLM only on /v1 paths",
  },
  'admin-api-key': {
    type: 'string',
    secret: true,
    description:
      "SGLang's --admin-api-key: when set, only this key opens the control endpoints (pause, continue, abort, weights, memory), and it is refused on generation",
  },
  'enable-memory-saver': {
    type: 'boolean',
    default: false,
    description:
      "SGLang's --enable-memory-saver: without it release_memory_occupation answers 200 and frees nothing, as SGLang does",
  },
  'vllm-server-dev-mode': {
    type: 'boolean',
    default: false,
    description:
      "vLLM's VLLM_SERVER_DEV_MODE=1: without it /pause, /resume, /is_paused, /sleep, /wake_up and /is_sleeping are 404",
  },
  'enable-sleep-mode': {
    type: 'boolean',
    default: false,
    description: "vLLM's --enable-sleep-mode: without it /sleep is refused",
  },
  'vllm-pause-api': {
    type: 'string',
    default: 'areal',
    choices: VLLM_PAUSE_APIS,
    description:
      "areal: AReaL's vLLM entrypoint (/areal_pause_generation, /areal_continue_generation); stock: plain vLLM, no /areal_* endpoints",
  },
  'enable-prompt-tokens-details': {
    type: 'boolean',
    default: false,
    description: "vLLM's --enable-prompt-tokens-details: usage.prompt_tokens_details.cached_tokens in completions",
  },
  'health-generation': {
    type: 'boolean',
    default: true,
    description:
      "SGLANG_ENABLE_HEALTH_ENDPOINT_GENERATION: SGLang's /health runs a one-token generation (>= 1 s; 503 after --health-check-timeout while paused). Off: an immediate 200",
  },
  'health-check-timeout': {
    type: 'seconds',
    default: 20,
    min: 0.1,
    description: "SGLANG_HEALTH_CHECK_TIMEOUT: seconds SGLang's generating /health waits for output before 503",
  },
  'tokenizer-worker-num': {
    type: 'int',
    default: 1,
    min: 1,
    description:
      "SGLang's --tokenizer-worker-num: above 1, /abort_request forwards rids that are not live, so prefix matching reaches every live rid that starts with it",
  },
  'stream-abort-delay': {
    type: 'seconds',
    default: 2,
    min: 0,
    description: 'seconds after a SGLang stream ends before the server aborts its rid in the background (SGLang: 2)',
  },
  'legacy-abort-message': {
    type: 'boolean',
    default: false,
    description: 'waiting-queue aborts say "Abort before prefill" (older SGLang) instead of "Abort in waiting queue"',
  },
  'enable-fault-injection': {
    type: 'boolean',
    default: false,
    description:
      'serve POST/DELETE /engine_sim/faults: make the next requests fail the ways real engines do (request errors, bad log-probs, vLLM error/repetition finishes); for tests',
  },
  'incremental-streaming-output': {
    type: 'boolean',
    default: false,
    description:
      'SGLang streaming sends deltas instead of cumulative text/ids/logprobs (SGLang --incremental-streaming-output)',
  },
} as const satisfies OptionSpecs;

export type EngineSimOptions = ParsedOptions<typeof ENGINE_SIM_OPTIONS>;
