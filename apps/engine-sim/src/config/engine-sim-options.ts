import { COMMON_OPTIONS, type OptionSpecs, type ParsedOptions } from '@app/common';

export const ENGINE_PROTOCOLS = ['both', 'sglang', 'vllm'] as const;
export const GENERATION_MODES = ['text', 'echo'] as const;

/** engine-sim flags. Latency knobs are per token; 0 makes the engine as fast as the CPU allows. */
export const ENGINE_SIM_OPTIONS = {
  ...COMMON_OPTIONS,
  port: { ...COMMON_OPTIONS.port, default: 30000 },
  'max-body-bytes': { ...COMMON_OPTIONS['max-body-bytes'], default: 32 * 1024 * 1024 },
  'tokenizer-path': {
    type: 'string',
    description:
      'Hugging Face tokenizer folder (tokenizer.json + tokenizer_config.json); default: the built-in Qwen3 files',
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
    description: 'text: readable text from a built-in corpus; echo: repeat the last user turn of the prompt',
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
    description: 'simulated prefill time per prompt token, in microseconds',
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
      'if set, every endpoint except health and metrics requires Authorization: Bearer <key> (as SGLang/vLLM --api-key)',
  },
  'incremental-streaming-output': {
    type: 'boolean',
    default: false,
    description:
      'SGLang streaming sends deltas instead of cumulative text/ids/logprobs (SGLang --incremental-streaming-output)',
  },
} as const satisfies OptionSpecs;

export type EngineSimOptions = ParsedOptions<typeof ENGINE_SIM_OPTIONS>;
