import { describe, expect, it } from '@jest/globals';
import { ConfigError, describeOptions, parseOptions, unknownFlagMessage, type OptionSpecs } from './app-options.js';
import { COMMON_OPTIONS } from './common-options.js';
import {
  AREAL_V2_SETTINGS,
  AREAL_VERSION_OPTIONS,
  CONTROL_PLANE_OPTIONS,
  FORWARDED_DATA_PROXY_OPTIONS,
  FORWARDED_ROUTER_OPTIONS,
} from './forwarded-options.js';

const SPECS = {
  ...COMMON_OPTIONS,
  'poll-interval': { type: 'float', default: 5, min: 0.01, description: 'x' },
  'routing-strategy': {
    type: 'string',
    default: 'round_robin',
    choices: ['round_robin', 'least_busy'],
    description: 'x',
  },
  'router-addr': { type: 'url', description: 'x' },
  backends: { type: 'string-list', default: [], description: 'x' },
} as const satisfies OptionSpecs;

describe('parseOptions', () => {
  it('reads durations in seconds and keeps them in milliseconds too, parsed once', () => {
    const specs = {
      'router-timeout': { type: 'seconds', default: 2, min: 0.01, description: 'x' },
      'session-ttl': { type: 'seconds', description: 'x' },
    } as const satisfies OptionSpecs;
    const { options } = parseOptions(specs, ['--router-timeout', '0.25'], {});
    expect([options['router-timeout'], options.ms['router-timeout'], options.ms['session-ttl']]).toEqual([
      0.25,
      250,
      undefined,
    ]);
    expect(() => parseOptions(specs, ['--router-timeout', '0'], {})).toThrow('--router-timeout: must be >= 0.01');
  });

  it('applies defaults when nothing is given', () => {
    const { options } = parseOptions(SPECS, [], {});
    expect(options.host).toBe('127.0.0.1');
    expect(options.port).toBe(8080);
    expect(options['poll-interval']).toBe(5);
    expect(options['router-addr']).toBeUndefined();
    expect(options['access-log']).toBe(false);
  });

  it('reads --flag value, --flag=value, bare booleans and --no-flag', () => {
    const { options } = parseOptions(
      SPECS,
      ['--port', '9000', '--poll-interval=0.5', '--access-log', '--no-swagger', '--router-addr', 'http://r:1/'],
      {},
    );
    expect(options.port).toBe(9000);
    expect(options['poll-interval']).toBe(0.5);
    expect(options['access-log']).toBe(true);
    expect(options.swagger).toBe(false);
    expect(options['router-addr']).toBe('http://r:1');
  });

  it('falls back to SCREAMING_SNAKE environment variables, command line first', () => {
    const env = { PORT: '7000', ADMIN_API_KEY: 'from-env', ROUTING_STRATEGY: 'least_busy' };
    expect(parseOptions(SPECS, [], env).options.port).toBe(7000);
    expect(parseOptions(SPECS, ['--port', '7001'], env).options.port).toBe(7001);
    expect(parseOptions(SPECS, [], env).options['admin-api-key']).toBe('from-env');
    expect(parseOptions(SPECS, [], env).options['routing-strategy']).toBe('least_busy');
  });

  it('accepts snake_case flag spellings', () => {
    expect(parseOptions(SPECS, ['--admin_api_key', 'k'], {}).options['admin-api-key']).toBe('k');
  });

  it('names the closest known flag of an unknown one (the service refuses to start on it)', () => {
    expect(unknownFlagMessage('admin-api-ky', ['port', 'admin-api-key', 'host'])).toBe(
      'unknown flag (did you mean --admin-api-key?); --help lists them all',
    );
    expect(unknownFlagMessage('zzz', ['port', 'admin-api-key'])).toBe('unknown flag; --help lists them all');
  });

  it('collects unknown flags (and skips their values) for the caller to refuse', () => {
    const { unknownFlags, options } = parseOptions(SPECS, ['--bogus', '1', '--port', '1'], {});
    expect(unknownFlags).toEqual(['bogus']);
    expect(options.port).toBe(1);
  });

  it.each([
    [['--port', 'abc'], 'port'],
    [['--port', '70000'], 'port'],
    [['--port', '1.5'], 'port'],
    [['--poll-interval', '0'], 'poll-interval'],
    [['--routing-strategy', 'random'], 'routing-strategy'],
    [['--router-addr', 'ftp://x'], 'router-addr'],
    [['--router-addr', 'not a url'], 'router-addr'],
    [['--access-log=maybe'], 'access-log'],
    [['--port'], 'port'],
  ])('rejects %j naming the flag', (argv, flag) => {
    let error: unknown;
    try {
      parseOptions(SPECS, argv, {});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).flag).toBe(flag);
    expect((error as ConfigError).message).toContain(`--${flag}`);
  });

  it('rejects a bad environment value naming the flag', () => {
    expect(() => parseOptions(SPECS, [], { POLL_INTERVAL: 'fast' })).toThrow('--poll-interval');
  });

  it('splits string lists', () => {
    expect(parseOptions(SPECS, ['--backends', 'a, b,,c'], {}).options.backends).toEqual(['a', 'b', 'c']);
  });
});

describe('profiles (--areal-version)', () => {
  const PROXY = { ...COMMON_OPTIONS, ...FORWARDED_DATA_PROXY_OPTIONS, ...AREAL_VERSION_OPTIONS } as const;
  const ROUTER = { ...COMMON_OPTIONS, ...FORWARDED_ROUTER_OPTIONS, ...AREAL_VERSION_OPTIONS } as const;

  it('leaves the defaults alone for AReaL 1.x', () => {
    expect(parseOptions(PROXY, [], {}).options).toMatchObject({
      'areal-version': '1',
      'export-schema': 'interactions',
    });
    expect(parseOptions(ROUTER, [], {}).options['capacity-permits']).toBe(true);
  });

  it('sets what AReaL 2.0 relies on, among the flags each service has', () => {
    expect(parseOptions(PROXY, ['--areal-version', '2'], {}).options['export-schema']).toBe('traj');
    expect(parseOptions(ROUTER, ['--areal-version=2'], {}).options['capacity-permits']).toBe(false);
    expect(parseOptions(ROUTER, [], { AREAL_VERSION: '2' }).options['capacity-permits']).toBe(false);
  });

  it('yields to an explicit flag or environment variable, wherever it is given', () => {
    expect(
      parseOptions(ROUTER, ['--capacity-permits', 'on', '--areal-version', '2'], {}).options['capacity-permits'],
    ).toBe(true);
    expect(
      parseOptions(PROXY, ['--areal-version', '2'], { EXPORT_SCHEMA: 'interactions' }).options['export-schema'],
    ).toBe('interactions');
  });

  it('works one setting at a time too', () => {
    expect(parseOptions(ROUTER, ['--capacity-permits', 'off'], {}).options).toMatchObject({
      'areal-version': '1',
      'capacity-permits': false,
    });
  });

  it('refuses an unknown version naming the flag', () => {
    expect(() => parseOptions(ROUTER, ['--areal-version', '3'], {})).toThrow('--areal-version: must be one of 1, 2');
  });

  it('implies only settings some service declares, each a valid value there', () => {
    const all = { ...COMMON_OPTIONS, ...FORWARDED_DATA_PROXY_OPTIONS, ...FORWARDED_ROUTER_OPTIONS } as OptionSpecs;
    for (const [flag, raw] of Object.entries(AREAL_V2_SETTINGS)) {
      expect([flag, flag in all || flag === 'callback-all-sessions']).toEqual([flag, true]);
      if (flag in all) expect(() => parseOptions(all, [`--${flag}`, raw], {})).not.toThrow();
    }
  });

  it('says in --help what the profile sets in this service', () => {
    expect(describeOptions(ROUTER)).toContain('(2 sets --capacity-permits off)');
    expect(describeOptions(PROXY)).toContain('(2 sets --export-schema traj)');
  });
});

describe('--control-allow-from', () => {
  const SPEC = { ...COMMON_OPTIONS, ...CONTROL_PLANE_OPTIONS } as const;

  it('is empty by default and reads IPv4 and IPv6 networks', () => {
    expect(parseOptions(SPEC, [], {}).options['control-allow-from']).toEqual([]);
    expect(
      parseOptions(SPEC, ['--control-allow-from', '10.0.0.0/8, 127.0.0.1/32,fd00::/8'], {}).options[
        'control-allow-from'
      ],
    ).toEqual(['10.0.0.0/8', '127.0.0.1/32', 'fd00::/8']);
  });

  it('refuses what is not a network, naming the flag and the entry', () => {
    expect(() => parseOptions(SPEC, ['--control-allow-from', '10.0.0.0/8,intranet'], {})).toThrow(
      '--control-allow-from: "intranet" is not an IPv4 or IPv6 address or network (CIDR)',
    );
    expect(() => parseOptions(SPEC, [], { CONTROL_ALLOW_FROM: '10.1.2.3/8' })).toThrow(
      '--control-allow-from: "10.1.2.3/8" has host bits set',
    );
  });
});
