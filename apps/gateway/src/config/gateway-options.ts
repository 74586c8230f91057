import {
  AREAL_VERSION_OPTIONS,
  COMMON_OPTIONS,
  CONTROL_PLANE_OPTIONS,
  type OptionSpecs,
  type ParsedOptions,
} from '@app/common';

/** Gateway flags: the reference's (`--router-addr`, `--router-timeout`, `--forward-timeout`) plus ours. */
export const GATEWAY_OPTIONS = {
  ...COMMON_OPTIONS,
  ...AREAL_VERSION_OPTIONS,
  ...CONTROL_PLANE_OPTIONS,
  port: { ...COMMON_OPTIONS.port, default: 8080 },
  'max-body-bytes': { ...COMMON_OPTIONS['max-body-bytes'], default: 64 * 1024 * 1024 },
  // Forwarded chats hold a connection for their whole generation: never queue a call behind them.
  'http-connections': { ...COMMON_OPTIONS['http-connections'], default: 0 },
  'router-addr': { type: 'url', default: 'http://localhost:8081', description: 'router base URL' },
  'router-timeout': { type: 'seconds', default: 2.0, min: 0.01, description: 'seconds for each gateway → router call' },
  'forward-timeout': {
    type: 'seconds',
    default: 600,
    min: 0.1,
    description:
      'seconds a forwarded call may stay silent (no headers, or no new bytes) before it fails; agent turns can take minutes',
  },
  'control-timeout': {
    type: 'seconds',
    default: 10,
    min: 0.1,
    description: 'seconds for pause/continue/version calls to a data proxy',
  },
  'pin-cache': {
    type: 'boolean',
    default: true,
    description: "cache session pins, kept exact by the router's pin-change stream (off: ask the router on every turn)",
  },
  'sse-keepalive': {
    type: 'seconds',
    default: 15,
    min: 0,
    description: 'seconds of silence on a relayed stream before a `: keep-alive` comment is sent (0 disables)',
  },
} as const satisfies OptionSpecs;

export type GatewayOptions = ParsedOptions<typeof GATEWAY_OPTIONS>;
