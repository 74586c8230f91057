import {
  AREAL_VERSION_OPTIONS,
  COMMON_OPTIONS,
  FORWARDED_ROUTER_OPTIONS,
  type OptionSpecs,
  type ParsedOptions,
} from '@app/common';

/** Router flags: the reference's (`--poll-interval`, `--worker-health-timeout`, `--routing-strategy`) plus ours. */
export const ROUTER_OPTIONS = {
  ...COMMON_OPTIONS,
  ...FORWARDED_ROUTER_OPTIONS,
  ...AREAL_VERSION_OPTIONS,
  port: { ...COMMON_OPTIONS.port, default: 8081 },
  'poll-interval': {
    type: 'seconds',
    default: 5.0,
    min: 0.01,
    description: 'seconds between the end of one health-poll round and the start of the next',
  },
  'worker-health-timeout': {
    type: 'seconds',
    default: 2.0,
    min: 0.01,
    description: 'timeout of one worker health check, in seconds',
  },
  'unhealthy-threshold': {
    type: 'int',
    default: 2,
    min: 1,
    description: 'consecutive failed health checks before a worker is marked unhealthy (one success restores it)',
  },
  'health-jitter': {
    type: 'float',
    default: 0.1,
    min: 0,
    max: 1,
    description: 'random fraction added to or taken from each poll interval, so routers do not poll in lockstep',
  },
  'evict-after-polls': {
    type: 'int',
    default: 0,
    min: 0,
    description:
      'evict a worker (and revoke its sessions) after this many poll intervals without a successful health check or heartbeat; 0 never evicts',
  },
  'default-model': {
    type: 'string',
    description: 'model used when a request names none (default: the first registered model)',
  },
} as const satisfies OptionSpecs;

export type RouterOptions = ParsedOptions<typeof ROUTER_OPTIONS>;
