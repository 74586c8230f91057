import {
  AREAL_VERSION_OPTIONS,
  COMMON_OPTIONS,
  CONTROL_PLANE_OPTIONS,
  FORWARDED_DATA_PROXY_OPTIONS,
  type OptionSpecs,
  type ParsedOptions,
} from '@app/common';

export const BACKEND_TYPES = ['sglang', 'vllm'] as const;

/** Data proxy flags: the reference's (`--backend-addr`, `--backend-type`, ...) plus ours. */
export const DATA_PROXY_OPTIONS = {
  ...COMMON_OPTIONS,
  // The flags the controller forwards to us: one declaration for both.
  ...FORWARDED_DATA_PROXY_OPTIONS,
  ...AREAL_VERSION_OPTIONS,
  ...CONTROL_PLANE_OPTIONS,
  port: { ...COMMON_OPTIONS.port, default: 8082 },
  'max-body-bytes': { ...COMMON_OPTIONS['max-body-bytes'], default: 64 * 1024 * 1024 },
  // Generations hold a connection for their whole length; a bounded pool would queue a pause or
  // an abort behind them (a pause must reach the engine at once).
  'http-connections': { ...COMMON_OPTIONS['http-connections'], default: 0 },
  'backend-addr': {
    type: 'string',
    default: 'http://localhost:30000',
    description: 'base URL of the co-located SGLang/vLLM engine; empty for external-model-only mode',
  },
  'backend-type': { type: 'string', default: 'sglang', choices: BACKEND_TYPES, description: 'engine protocol' },
  'request-timeout': {
    type: 'seconds',
    default: 120,
    min: 0.1,
    description: 'seconds an engine call may stay silent (no header or no new token) before it fails',
  },
  'max-resubmit-retries': {
    type: 'int',
    default: 20,
    min: 1,
    description:
      'aborts no pause explains that one request survives (pause/continue aborts never count: the request resumes after each)',
  },
  'resubmit-wait': {
    type: 'seconds',
    default: 0.5,
    min: 0,
    description: 'seconds to wait before resubmitting after an abort that no pause explains',
  },
  'context-length': {
    type: 'int',
    min: 16,
    description:
      "prompt + completion tokens the engine accepts; default: the engine's max_model_len from /v1/models (32768 until it answers)",
  },
  'default-max-tokens': {
    type: 'int',
    default: 512,
    min: 1,
    description: 'completion budget when a request gives none',
  },
  'incremental-templating': {
    type: 'boolean',
    default: true,
    description:
      'a turn that continues a recorded one renders and encodes only its new messages where the chat template was checked prefix-stable for them (same ids as a full render); --no-incremental-templating renders every prompt in full',
  },
  'conversation-body-cache-mb': {
    type: 'int',
    default: 32,
    min: 0,
    description:
      "memory for callers' last large chat/messages bodies, so that a turn's body is parsed from what is new in it (the same value as a full parse); 0 parses every body in full",
  },
  'incremental-streaming-output': {
    type: 'boolean',
    default: false,
    description:
      "/generate streams only what is new in each event (SGLang's --incremental-streaming-output); default: each event holds the whole answer so far, as SGLang's default",
  },
  'callback-server-addr': {
    type: 'string',
    default: '',
    description: 'controller base URL for online ready callbacks',
  },
  'callback-all-sessions': {
    type: 'boolean',
    default: false,
    description: 'send ready callbacks for every session (the reference), not only the admin key HITL session',
  },
  'session-ttl': {
    type: 'seconds',
    default: 3600,
    min: 0,
    description: 'seconds an idle session without rewarded trajectories is kept; 0 keeps sessions forever',
  },
  'shard-store-bytes': {
    type: 'int',
    default: 2 * 1024 * 1024 * 1024,
    min: 1024,
    description: 'byte budget of exported tensor shards awaiting /data fetches; the oldest are evicted beyond it',
  },
  'data-require-admin-key': {
    type: 'boolean',
    default: false,
    description:
      'require the admin key for /data reads and deletes too (the reference trainer sends none; shard ids are unguessable)',
  },
  'router-addr': {
    type: 'string',
    default: '',
    description: 'router base URL to register with and heartbeat (self-registration); empty: someone else registers us',
  },
  'heartbeat-interval': {
    type: 'seconds',
    default: 5,
    min: 0.05,
    description: "seconds between heartbeats to --router-addr (pair with the router's --evict-after-polls)",
  },
  'state-dir': {
    type: 'string',
    default: '',
    description:
      'directory of the crash journal: sessions, recorded interactions, rewards and ready trajectories survive kill -9 and are recovered on start; empty: memory only',
  },
  'state-compact-bytes': {
    type: 'int',
    default: 64 * 1024 * 1024,
    min: 4096,
    description: 'the journal is rewritten with only live records once past this size and twice its live size',
  },
  'state-fsync': {
    type: 'boolean',
    default: false,
    description: 'fsync every journal write (survives a machine crash, not only a process crash; slower)',
  },
  'serving-addr': {
    type: 'string',
    description: 'host:port written into tensor shard references (default: bind host:port)',
  },
} as const satisfies OptionSpecs;

export type DataProxyOptions = ParsedOptions<typeof DATA_PROXY_OPTIONS>;
