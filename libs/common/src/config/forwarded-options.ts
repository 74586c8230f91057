import { EXPORT_SCHEMAS } from '@app/contracts';
import { networkProblem } from '../auth/network-allow-list.js';
import type { OptionSpecs } from './app-options.js';

/**
 * Flags the controller takes and forwards unchanged to the services it launches. Declared once,
 * here, and spread into both the service's own options and the controller's: the controller then
 * refuses a bad value at once, as the service would, instead of starting a stack whose data proxy
 * dies on it.
 */

export const CHAT_TEMPLATE_TYPES = ['hf', 'concat'] as const;
export const VLLM_PAUSE_APIS = ['areal', 'stock'] as const;
export const ROUTING_STRATEGIES = ['round_robin', 'least_busy'] as const;

/**
 * Tool-call formats by SGLang's `--tool-call-parser` names (so a deployment's flags carry over),
 * plus `auto` (chosen from the model folder at startup, and logged) and `none` (no parsing).
 */
export const TOOL_CALL_PARSERS = [
  'auto',
  'none',
  'qwen',
  'qwen25',
  'qwen3_coder',
  'llama3',
  'pythonic',
  'mistral',
  'deepseekv3',
  'deepseekv31',
  'gpt-oss',
  'glm',
  'glm45',
  'kimi_k2',
] as const;

/** Reasoning formats by SGLang's `--reasoning-parser` names, plus `auto` and `none`. */
export const REASONING_PARSERS = [
  'auto',
  'none',
  'qwen3',
  'qwen3-thinking',
  'deepseek-r1',
  'deepseek-v3',
  'gpt-oss',
  'glm45',
  'kimi',
  'kimi_k2',
  'step3',
] as const;

/** The data proxy's flags the controller forwards (local mode). */
export const FORWARDED_DATA_PROXY_OPTIONS = {
  'backend-api-key': {
    type: 'string',
    secret: true,
    description:
      "the engine's --api-key, sent as a bearer token on generation (and on control calls when no admin key is given)",
  },
  'backend-admin-api-key': {
    type: 'string',
    secret: true,
    description:
      "SGLang's --admin-api-key, sent on pause, continue, abort, weight and memory calls (with both keys set SGLang accepts only this one there)",
  },
  'vllm-pause-api': {
    type: 'string',
    default: 'areal',
    choices: VLLM_PAUSE_APIS,
    description:
      "vLLM pause endpoints: areal (AReaL's vLLM entrypoint: /areal_pause_generation) or stock (vLLM with VLLM_SERVER_DEV_MODE=1: /pause?mode=abort, /resume)",
  },
  'tokenizer-path': {
    type: 'string',
    description:
      'Hugging Face model or tokenizer folder (tokenizer.json, tokenizer_config.json, and chat_template.jinja, generation_config.json, config.json when present); default: the built-in Qwen3 files',
  },
  'chat-template': {
    type: 'string',
    description:
      "chat template file (Jinja), as SGLang's and vLLM's --chat-template; default: the folder's chat_template.jinja, else tokenizer_config.json's chat_template",
  },
  'tool-call-parser': {
    type: 'string',
    default: 'qwen',
    choices: TOOL_CALL_PARSERS,
    description:
      "tool-call format (SGLang's names); auto: chosen from the model folder at startup (logged); none: tool calls are not parsed",
  },
  'reasoning-parser': {
    type: 'string',
    default: 'qwen3',
    choices: REASONING_PARSERS,
    description:
      "reasoning format (SGLang's names), recorded as a leading <think> block; auto: chosen from the model folder; none: the text as generated",
  },
  'engine-max-tokens': { type: 'int', min: 1, description: 'cap on prompt + completion tokens per request' },
  'chat-template-type': {
    type: 'string',
    default: 'hf',
    choices: CHAT_TEMPLATE_TYPES,
    description: 'hf: template every turn; concat: continue the parent turn token by token',
  },
  'set-reward-finish-timeout': {
    type: 'seconds',
    default: 0,
    min: 0,
    description: 'seconds a rewarded trajectory waits for more rewards before it is ready',
  },
  'export-schema': {
    type: 'string',
    default: 'interactions',
    choices: EXPORT_SCHEMAS,
    description:
      'default /export_trajectories answer: interactions ({"interactions": ...}) or traj (AReaL 2.0\'s padded batch); a request\'s "schema" wins',
  },
  'deterministic-sampling': {
    type: 'boolean',
    default: false,
    description:
      "AReaL 2.0's deterministic seeds: a session chat without a seed gets SHA-256(identity:k) & 0x7FFFFFFF, k counting the session's requests",
  },
} as const satisfies OptionSpecs;

/** The router's flags the controller forwards (local mode). */
export const FORWARDED_ROUTER_OPTIONS = {
  'routing-strategy': {
    type: 'string',
    default: 'round_robin',
    choices: ROUTING_STRATEGIES,
    description: 'how workers are picked',
  },
  'capacity-permits': {
    type: 'boolean',
    default: true,
    description:
      'staleness permits: every session start takes one the trainer granted (/grant_capacity), 429 when none is left; off: sessions start freely (AReaL 2.0 has no permits) and the controller gates its own episodes alone (an attached controller must be told what its router does)',
  },
} as const satisfies OptionSpecs;

/**
 * What an AReaL 2.0 trainer relies on that AReaL 1.x trainers do not, as raw flag values: each is
 * also a flag of its own, and `--areal-version 2` sets them all (an explicit flag or environment
 * variable still wins).
 */
export const AREAL_V2_SETTINGS = {
  // Its router has no staleness permits: its trainer never calls /grant_capacity.
  'capacity-permits': 'off',
  // Its workflow reads `traj` from /export_trajectories and sends no `schema`.
  'export-schema': 'traj',
  // Its data proxy announces every ready trajectory to the trainer's callback server.
  'callback-all-sessions': 'true',
} as const satisfies Record<string, string>;

export const AREAL_VERSIONS = ['1', '2'] as const;

/** The deployment profile, accepted by every service the controller launches and by the controller. */
export const AREAL_VERSION_OPTIONS = {
  'areal-version': {
    type: 'string',
    default: '1',
    choices: AREAL_VERSIONS,
    implies: { '2': AREAL_V2_SETTINGS },
    description: 'the AReaL trainer generation this stack serves',
  },
} as const satisfies OptionSpecs;

/**
 * The internal control plane: AReaL 2.0's trainer calls a data proxy's pause, continue,
 * set_version, offload and onload without a key. Services with control endpoints accept such calls
 * only from the networks named here, judged by the connection's own peer address.
 */
export const CONTROL_PLANE_OPTIONS = {
  'control-allow-from': {
    type: 'string-list',
    default: [],
    validate: networkProblem,
    description:
      'comma-separated networks (IPv4/IPv6 CIDRs or addresses) whose calls to control endpoints (pause, continue, set_version, offload, onload) need no admin key, judged by the TCP peer address (never a forwarded header); a wrong or session key is still refused; empty: every control call needs the admin key',
  },
} as const satisfies OptionSpecs;
