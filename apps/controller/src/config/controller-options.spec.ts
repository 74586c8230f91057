import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOptions } from '@app/common';
import { CONTROLLER_OPTIONS, expandConfigFile, parseBackend } from './controller-options.js';

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'cfg-')), 'c.yaml');
  writeFileSync(path, text);
  return path;
}

describe('controller configuration', () => {
  it('refuses a bad value of a flag it forwards at once, with the launched service’s own rule', () => {
    expect(() => parseOptions(CONTROLLER_OPTIONS, ['--chat-template-type', 'jinja'], {})).toThrow(
      '--chat-template-type: must be one of hf, concat',
    );
    expect(() => parseOptions(CONTROLLER_OPTIONS, ['--routing-strategy', 'random'], {})).toThrow(
      '--routing-strategy: must be one of round_robin, least_busy',
    );
    const { options } = parseOptions(CONTROLLER_OPTIONS, ['--set-reward-finish-timeout', '1.5'], {});
    expect(options.ms['set-reward-finish-timeout']).toBe(1500);
  });

  it('turns YAML settings (reference snake_case names) into flags that command-line flags override', () => {
    const path = file(
      'backend: sim:d3\nsetup_timeout: 7\npoll_interval: 0.5\ndata_proxy_addrs: [http://a, http://b]\n',
    );
    const argv = expandConfigFile(['--config', path, '--setup-timeout', '9']);
    const { options } = parseOptions(CONTROLLER_OPTIONS, argv, {});
    expect(options.backend).toBe('sim:d3');
    expect(options['setup-timeout']).toBe(9);
    expect(options['poll-interval']).toBe(0.5);
    expect(options['data-proxy-addrs']).toEqual(['http://a', 'http://b']);
  });

  it('rejects unknown keys, non-mapping documents and nested values', () => {
    expect(() => expandConfigFile(['--config', file('setup_timout: 5\n')])).toThrow(/setup_timout/);
    expect(() => expandConfigFile(['--config', file('- a\n- b\n')])).toThrow(/mapping/);
    expect(() => expandConfigFile(['--config', file('model: {a: 1}\n')])).toThrow(/scalar/);
    expect(() => expandConfigFile(['--config'])).toThrow(/file path/);
    expect(expandConfigFile(['--port', '1'])).toEqual(['--port', '1']);
  });

  it('parses engine allocations as the reference writes them', () => {
    expect(parseBackend('sim:d2')).toEqual({ kind: 'sim', count: 2 });
    expect(parseBackend('vllm:d1')).toEqual({ kind: 'vllm', count: 1 });
    for (const bad of ['sim', 'sim:d0', 'gpu:d1', 'sglang:2', 'sim:d100'])
      expect(() => parseBackend(bad)).toThrow(/backend/);
  });
});
