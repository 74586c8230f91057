import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import {
  AREAL_VERSION_OPTIONS,
  COMMON_OPTIONS,
  ConfigError,
  CONTROL_PLANE_OPTIONS,
  FORWARDED_DATA_PROXY_OPTIONS,
  FORWARDED_ROUTER_OPTIONS,
  type OptionSpecs,
  type ParsedOptions,
} from '@app/common';
import { EXPORT_STYLES } from '@app/contracts';

export const ROLLOUT_MODES = ['local', 'attach'] as const;

/**
 * Controller settings. Every one is a flag (`--setup-timeout 60`), an environment variable
 * (`SETUP_TIMEOUT`) or a key of the YAML file given with `--config` (`setup_timeout: 60`, the
 * reference's field names). Flags win over the file.
 */
export const CONTROLLER_OPTIONS = {
  ...COMMON_OPTIONS,
  // Forwarded unchanged to the data proxies and the router it launches: their own declarations.
  ...FORWARDED_DATA_PROXY_OPTIONS,
  ...FORWARDED_ROUTER_OPTIONS,
  // Forwarded to every service it launches; the controller's own control endpoints follow them too.
  ...AREAL_VERSION_OPTIONS,
  ...CONTROL_PLANE_OPTIONS,
  port: { ...COMMON_OPTIONS.port, default: 8090 },
  // Stopping the stack stops every child in order (each may take its own grace period).
  'shutdown-grace-ms': { ...COMMON_OPTIONS['shutdown-grace-ms'], default: 30_000 },
  config: { type: 'string', default: '', description: 'YAML file with any of these settings (snake_case keys)' },
  mode: {
    type: 'string',
    default: 'local',
    choices: ROLLOUT_MODES,
    description: 'local: launch the stack as child processes; attach: drive services that already run',
  },
  backend: {
    type: 'string',
    default: 'sim:d1',
    description: 'engines to launch: `sim:dN` (engine-sim), `sglang:dN` or `vllm:dN` (with --engine-command)',
  },
  model: { type: 'string', default: 'engine-sim', description: 'model name registered in the gateway' },
  'engine-command': {
    type: 'string',
    default: '',
    description:
      'launch command for sglang/vllm engines; {host}, {port}, {model}, {index} are filled in (e.g. "python3 -m sglang.launch_server --model-path {model} --host {host} --port {port}")',
  },
  'engine-sim-args': {
    type: 'string',
    default: '',
    description: 'extra flags for each engine-sim (space-separated, e.g. "--decode-ms-per-token 5")',
  },
  'api-url': {
    type: 'string',
    default: '',
    description: 'external model mode: no engines, one data proxy forwarding chats to {api-url}/chat/completions',
  },
  'provider-api-key': {
    type: 'string',
    default: '',
    secret: true,
    description: 'external model mode: bearer key sent to the provider',
  },
  'gateway-port': {
    type: 'int',
    default: 8080,
    min: 0,
    max: 65535,
    description: 'gateway port in local mode (0: any free)',
  },
  'poll-interval': { type: 'seconds', default: 5, min: 0.05, description: 'router health-poll interval (s)' },
  'request-timeout': {
    type: 'seconds',
    default: 120,
    min: 0.1,
    description: 'data proxy → engine and broadcast timeout (s)',
  },
  'gateway-forward-timeout': {
    type: 'seconds',
    default: 600,
    min: 0.1,
    description: 'local mode: seconds the gateway waits for a data proxy (at least the longest generation)',
  },
  'setup-timeout': {
    type: 'seconds',
    default: 120,
    min: 1,
    description: 'seconds a launched service may take to become healthy',
  },
  'log-dir': { type: 'string', default: 'logs', description: 'one log file per launched service' },
  'state-dir': {
    type: 'string',
    default: '',
    description:
      "what survives a crash: the controller's ready queue, uncollected rollout results and dataset cursors (<dir>/controller) and, in local mode, each launched data proxy's sessions (<dir>/data-proxy-<i>); empty: the controller keeps nothing and the data proxies journal into a fresh folder under the OS temp dir, removed when the stack stops",
  },
  'restart-children': {
    type: 'boolean',
    default: true,
    description: 'restart a launched service that dies (with backoff)',
  },
  'restart-backoff-max': {
    type: 'seconds',
    default: 10,
    min: 0,
    description:
      'longest wait (s) between restarts of a service that keeps dying; the wait starts at 0.5 s and doubles, and starts over once a service ran 30 s',
  },
  'gateway-addr': { type: 'string', default: '', description: 'attach mode: the gateway' },
  'router-addr': { type: 'string', default: '', description: 'attach mode: the router' },
  'data-proxy-addrs': {
    type: 'string-list',
    default: [],
    description: 'attach mode: comma-separated data proxies (empty: those registered with the router)',
  },
  'ready-queue-size': {
    type: 'int',
    default: 10_000,
    min: 1,
    description: 'ready-trajectory notifications kept while no one waits (oldest dropped beyond it, counted)',
  },
  'consumer-batch-size': {
    type: 'int',
    default: 16,
    min: 1,
    description: 'staleness unit: accepted episodes the trainer consumes per version step',
  },
  'max-concurrent-rollouts': {
    type: 'int',
    default: 0,
    min: 0,
    description: 'episodes running at once (0: consumer_batch_size)',
  },
  'max-head-offpolicyness': {
    type: 'int',
    default: 0,
    min: 0,
    description: 'how many versions an accepted episode may lag behind (0: on-policy)',
  },
  'turn-discount': {
    type: 'float',
    default: 1,
    min: 0,
    description: 'reward discount across the turns of an exported episode',
  },
  'export-style': {
    type: 'string',
    default: 'individual',
    choices: EXPORT_STYLES,
    description: 'individual: every interaction is a sample; concat: only the leaves of the conversation tree',
  },
  agent: {
    type: 'string',
    default: '',
    description: 'default agent module (a file exporting run(data, ctx)); empty: online mode',
  },
  'episode-timeout': {
    type: 'seconds',
    default: 3600,
    min: 0.1,
    description: "seconds an episode may run before its agent's signal aborts and it is rejected",
  },
  'strict-broadcast': {
    type: 'boolean',
    default: false,
    description: 'pause/continue/set_version fail unless every data proxy succeeds (default: at least one)',
  },
} as const satisfies OptionSpecs;

export type ControllerOptions = ParsedOptions<typeof CONTROLLER_OPTIONS>;

/** Engine allocation `kind:dN`, as the reference writes it (`sglang:d2`). */
export interface BackendAllocation {
  kind: 'sim' | 'sglang' | 'vllm';
  count: number;
}

export function parseBackend(value: string): BackendAllocation {
  const match = /^(sim|sglang|vllm):d(\d+)$/.exec(value.trim());
  const count = match ? Number(match[2]) : 0;
  if (!match || count < 1 || count > 64)
    throw new ConfigError('backend', `must look like sim:d2, sglang:d1 or vllm:d4 (got ${JSON.stringify(value)})`);
  return { kind: match[1] as BackendAllocation['kind'], count };
}

/**
 * Replaces `--config FILE` with the file's settings as flags, placed before the other flags so
 * that flags given on the command line win. Unknown keys are an error: a typo in a config file
 * must not be silently ignored.
 */
export function expandConfigFile(argv: readonly string[]): string[] {
  const at = argv.findIndex((a) => a === '--config' || a.startsWith('--config='));
  if (at < 0) return [...argv];
  const inline = argv[at].startsWith('--config=') ? argv[at].slice('--config='.length) : undefined;
  const path = inline ?? argv[at + 1];
  if (!path || path.startsWith('--')) throw new ConfigError('config', 'expects a file path');
  const rest = [...argv.slice(0, at), ...argv.slice(at + (inline === undefined ? 2 : 1))];
  let document: unknown;
  try {
    document = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError('config', `cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (document === null || document === undefined) return rest;
  if (typeof document !== 'object' || Array.isArray(document))
    throw new ConfigError('config', `${path} must be a mapping of setting: value`);
  const flags: string[] = [];
  for (const [key, value] of Object.entries(document as Record<string, unknown>)) {
    const name = key.replace(/_/g, '-');
    if (!(name in CONTROLLER_OPTIONS) || name === 'config')
      throw new ConfigError('config', `${path}: unknown setting "${key}"`);
    if (value === null || value === undefined) continue;
    const scalar = (v: unknown): string => {
      if (typeof v === 'object' && v !== null)
        throw new ConfigError('config', `${path}: "${key}" must be a scalar or a list`);
      return String(v);
    };
    flags.push(`--${name}`, Array.isArray(value) ? value.map(scalar).join(',') : scalar(value));
  }
  return [...flags, ...rest];
}
