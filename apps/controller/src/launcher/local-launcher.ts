import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { formatLogLine, freePort, processLogStyle } from '@app/common';
import { parseBackend, type ControllerOptions } from '../config/controller-options.js';

import { ManagedProcess, type ProcessSpec } from './managed-process.js';

/** The addresses of a launched stack. */
export interface LaunchedStack {
  engineAddrs: string[];
  routerAddr: string;
  dataProxyAddrs: string[];
  gatewayAddr: string;
}

export interface LauncherHooks {
  /** A service died and was started again on its port (the stack re-registers it). */
  onRestarted(process: ManagedProcess): void;
  /** Whether `url` answers 200 (engines started by a command are ready once `/health` does). */
  probe(url: string): Promise<boolean>;
}

/**
 * Local mode: starts the whole stack as child processes of the controller (engines and router
 * first, in parallel; then the data proxies and the gateway, in parallel), each with the flags the
 * controller's own options give it, and keeps them running (`ManagedProcess` restarts them).
 */
export class LocalLauncher {
  readonly processes: ManagedProcess[] = [];
  /** The journal folder this launch created (removed at shutdown), if it made one. */
  private ownStateDir: string | null = null;

  constructor(
    private readonly options: ControllerOptions,
    /** Where the data proxies call the controller back. */
    private readonly controllerUrl: string,
    private readonly hooks: LauncherHooks,
  ) {}

  /** Starts everything; resolves once every service is up (or throws what failed). */
  async launch(): Promise<LaunchedStack> {
    const o = this.options;
    // External model mode (`api-url`): no engines, one data proxy that forwards to the provider.
    const external = o['api-url'] !== '';
    const backend = external ? { kind: 'sim' as const, count: 0 } : parseBackend(o.backend);
    // Every service gets the admin key, the log level, the span collector (traces cross them all)
    // and the AReaL generation it serves (the settings that profile implies are passed explicitly
    // too, as this controller resolved them).
    const admin = [
      '--admin-api-key',
      o['admin-api-key'],
      '--log-level',
      o['log-level'],
      ...(o['otlp-endpoint'] ? ['--otlp-endpoint', o['otlp-endpoint']] : []),
      '--areal-version',
      o['areal-version'],
    ];
    // The services with control endpoints (data proxies, gateway) take the same control networks.
    const controlPlane =
      o['control-allow-from'].length > 0 ? ['--control-allow-from', o['control-allow-from'].join(',')] : [];

    const engines: ManagedProcess[] = [];
    for (let i = 0; i < backend.count; i++) {
      if (backend.kind === 'sim') {
        // Launched as a real engine should be for RL: memory release works (SGLang
        // --enable-memory-saver; vLLM dev mode and sleep mode).
        engines.push(
          this.ourService('engine', i, 'engine-sim', [
            '--log-level',
            o['log-level'],
            ...(o['otlp-endpoint'] ? ['--otlp-endpoint', o['otlp-endpoint']] : []),
            '--enable-memory-saver',
            '--vllm-server-dev-mode',
            '--enable-sleep-mode',
            // The engine speaks the served model's family: the same tokenizer and template.
            ...(o['tokenizer-path'] ? ['--tokenizer-path', o['tokenizer-path']] : []),
            ...(o['chat-template'] ? ['--chat-template', o['chat-template']] : []),
            ...splitArgs(o['engine-sim-args']),
          ]),
        );
      } else {
        if (!o['engine-command']) throw new Error(`--backend ${o.backend} needs --engine-command`);
        const port = await freePort();
        const command = o['engine-command']
          .replaceAll('{host}', '127.0.0.1')
          .replaceAll('{port}', String(port))
          .replaceAll('{model}', o.model)
          .replaceAll('{index}', String(i));
        engines.push(
          this.manage({
            role: 'engine',
            index: i,
            command: '/bin/sh',
            args: ['-c', command],
            readiness: 'health',
            port,
          }),
        );
      }
    }
    const router = this.ourService('router', 0, 'router', [
      ...admin,
      '--routing-strategy',
      o['routing-strategy'],
      '--capacity-permits',
      String(o['capacity-permits']),
      '--poll-interval',
      String(o['poll-interval']),
    ]);
    await Promise.all([...engines, router].map((p) => p.start()));

    const backendType = backend.kind === 'vllm' ? 'vllm' : 'sglang';
    // Journals outlive a data proxy's crash (the controller restarts it on the same port and it
    // recovers its sessions); without --state-dir not the stack: a fresh `npm start` starts clean.
    const stateDir = o['state-dir'] || (this.ownStateDir = mkdtempSync(join(tmpdir(), 'rollout-state-')));
    const backendAddrs = external ? [''] : engines.map((engine) => engine.url);
    const proxies = backendAddrs.map((backendAddr, i) =>
      this.ourService('data-proxy', i, 'data-proxy', [
        ...admin,
        '--backend-addr',
        backendAddr,
        '--backend-type',
        backendType,
        '--request-timeout',
        String(o['request-timeout']),
        '--set-reward-finish-timeout',
        String(o['set-reward-finish-timeout']),
        '--callback-server-addr',
        this.controllerUrl,
        '--router-addr',
        router.url,
        // Every session's ready trajectories: external agents' sessions feed online episodes, and
        // agent episodes with a finish timeout learn when theirs is final (no polling).
        '--callback-all-sessions',
        '--tool-call-parser',
        o['tool-call-parser'],
        '--reasoning-parser',
        o['reasoning-parser'],
        '--chat-template-type',
        o['chat-template-type'],
        ...(o['tokenizer-path'] ? ['--tokenizer-path', o['tokenizer-path']] : []),
        ...(o['chat-template'] ? ['--chat-template', o['chat-template']] : []),
        ...(o['engine-max-tokens'] !== undefined ? ['--engine-max-tokens', String(o['engine-max-tokens'])] : []),
        '--vllm-pause-api',
        o['vllm-pause-api'],
        '--state-dir',
        join(stateDir, `data-proxy-${i}`),
        '--export-schema',
        o['export-schema'],
        ...(o['deterministic-sampling'] ? ['--deterministic-sampling'] : []),
        ...(o['backend-api-key'] ? ['--backend-api-key', o['backend-api-key']] : []),
        ...(o['backend-admin-api-key'] ? ['--backend-admin-api-key', o['backend-admin-api-key']] : []),
        ...controlPlane,
      ]),
    );
    const gateway = this.ourService(
      'gateway',
      0,
      'gateway',
      [
        ...admin,
        '--router-addr',
        router.url,
        '--forward-timeout',
        String(o['gateway-forward-timeout']),
        ...controlPlane,
      ],
      o['gateway-port'],
    );
    await Promise.all([...proxies, gateway].map((p) => p.start()));
    return {
      engineAddrs: engines.map((e) => e.url),
      routerAddr: router.url,
      dataProxyAddrs: proxies.map((p) => p.url),
      gatewayAddr: gateway.url,
    };
  }

  /** One of this repository's apps, started with `--port <port>` (0 the first time: any free port). */
  private ourService(role: ProcessSpec['role'], index: number, app: string, args: string[], port = 0): ManagedProcess {
    const main = resolvePath(dirname(process.argv[1]), '..', app, 'main.js');
    return this.manage({
      role,
      index,
      command: process.execPath,
      args: [main, '--host', '127.0.0.1', '--port', String(port), '--exit-with-stdin', ...args],
      readiness: 'listening-line',
      port,
    });
  }

  /**
   * A service's output line as the controller shows it: JSON lines stay JSON (prefixed with the
   * service's name) unless the controller itself logs for people, on a terminal.
   */
  private echoed(name: string, line: string): string {
    const style = processLogStyle(this.options['log-format']);
    return style.format === 'json' ? `[${name}] ${line}` : formatLogLine(line, style.colour, name);
  }

  private manage(spec: ProcessSpec): ManagedProcess {
    const managed = new ManagedProcess(spec, this.options['log-dir'], {
      setupTimeoutMs: this.options.ms['setup-timeout'],
      restart: this.options['restart-children'],
      restartBackoffMaxMs: this.options.ms['restart-backoff-max'],
      echo: (name, line) => process.stdout.write(`${this.echoed(name, line)}\n`),
      onRestarted: (p) => this.hooks.onRestarted(p),
      probeHealth: (url) => this.hooks.probe(url),
    });
    this.processes.push(managed);
    return managed;
  }

  /** Ordered: gateway, data proxies, router, engines; then a journal folder this launch made. */
  async stop(): Promise<void> {
    for (const role of ['gateway', 'data-proxy', 'router', 'engine'] as const) {
      await Promise.all(this.processes.filter((p) => p.spec.role === role).map((p) => p.stop()));
    }
    // A folder we made for this stack's journals goes with it; one the user named stays.
    if (this.ownStateDir) rmSync(this.ownStateDir, { recursive: true, force: true });
  }
}

function splitArgs(value: string): string[] {
  return value.split(/\s+/).filter(Boolean);
}
