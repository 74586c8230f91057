import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Logger } from '@nestjs/common';
import { listeningPort } from '@app/common';

export type ServiceRole = 'engine' | 'router' | 'data-proxy' | 'gateway';
export type ProcessState = 'starting' | 'running' | 'restarting' | 'failed' | 'stopped';

export interface ProcessSpec {
  role: ServiceRole;
  index: number;
  /** Program and arguments; `{port}` in an argument is replaced by the port to bind. */
  command: string;
  args: string[];
  /**
   * `listening-line`: our own services, started with `--port 0` the first time; their JSON
   * `listening` line says the port. `health`: any other server (SGLang, vLLM) on a port chosen
   * beforehand, ready once `GET /health` answers 200.
   */
  readiness: 'listening-line' | 'health';
  port: number;
}

const LAST_LINES = 40;
const RESTART_MIN_MS = 500;
/** A service that ran this long before dying is not crash-looping: its backoff starts over. */
const STABLE_MS = 30_000;

/**
 * One launched service: its own process group (so stopping it stops whatever it forked), output
 * to `<log-dir>/<role>-<index>.log` and, prefixed, to the controller's output, and restarts with
 * backoff when it dies on its own. A restart binds the same port, so its address never changes.
 */
export class ManagedProcess {
  readonly name: string;
  state: ProcessState = 'starting';
  pid: number | undefined;
  restarts = 0;
  /** Deaths in a row that came soon after a start: they set the backoff. */
  private quickDeaths = 0;
  private runningSince = 0;
  lastExit: { code: number | null; signal: string | null; at: string } | null = null;
  private child: ChildProcess | null = null;
  private readonly lastLines: string[] = [];
  private readonly log: WriteStream;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly logger: Logger;

  constructor(
    readonly spec: ProcessSpec,
    logDir: string,
    private readonly options: {
      setupTimeoutMs: number;
      restart: boolean;
      /** Longest wait between restarts of a crash-looping service. */
      restartBackoffMaxMs: number;
      /** Shows one output line of the service (`name` says which). */
      echo: (name: string, line: string) => void;
      onRestarted: (process: ManagedProcess) => void;
      /** True once `url` answers 200 (through the controller's pooled client). */
      probeHealth: (url: string) => Promise<boolean>;
    },
  ) {
    this.name = `${spec.role}-${spec.index}`;
    this.logger = new Logger(`process ${this.name}`);
    mkdirSync(logDir, { recursive: true });
    this.log = createWriteStream(join(logDir, `${this.name}.log`), { flags: 'a' });
  }

  get port(): number {
    return this.spec.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.spec.port}`;
  }

  /** The last lines it printed, for a startup failure report. */
  tail(): string[] {
    return [...this.lastLines];
  }

  /** Starts it and resolves once it is ready; rejects (after killing it) if it is not within the setup timeout. */
  async start(): Promise<void> {
    this.state = 'starting';
    const child = spawn(
      this.spec.command,
      this.spec.args.map((a) => a.replaceAll('{port}', String(this.spec.port))),
      {
        // Its own process group, so that stopping it stops whatever it forked. The environment
        // is inherited (PATH, CUDA_VISIBLE_DEVICES, ...).
        detached: true,
        // stdin is a pipe only the controller holds: our services exit when it closes
        // (`--exit-with-stdin`), so none outlives a controller that was killed outright.
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    this.pid = child.pid;
    let resolveListening: (port: number) => void = () => undefined;
    const listening = new Promise<number>((resolve) => (resolveListening = resolve));
    const onLine = (line: string): void => {
      this.lastLines.push(line);
      if (this.lastLines.length > LAST_LINES) this.lastLines.shift();
      if (!this.log.writableEnded) this.log.write(`${line}\n`);
      this.options.echo(this.name, line);
      if (this.spec.readiness === 'listening-line') {
        const port = listeningPort(line);
        if (port !== null) resolveListening(port);
      }
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => reject(new Error(`exited with ${signal ?? code} before it was ready`))),
    );
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    child.once('error', (err) => this.lastLines.push(`spawn error: ${err.message}`));

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`not ready within ${this.options.setupTimeoutMs / 1000} s`)),
        this.options.setupTimeoutMs,
      );
    });
    try {
      const ready =
        this.spec.readiness === 'listening-line'
          ? listening.then((port) => void (this.spec.port = port))
          : this.healthy();
      await Promise.race([ready, exited, timeout]);
      this.state = 'running';
      this.runningSince = Date.now();
    } catch (err) {
      await this.kill(child, 2_000);
      this.state = 'failed';
      throw err;
    } finally {
      clearTimeout(timer);
      exited.catch(() => undefined);
    }
  }

  /** Stops it for good (no restart): SIGTERM to its process group, SIGKILL after `graceMs`. Idempotent. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.state === 'stopped') return;
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.child) await this.kill(this.child, graceMs);
    this.state = 'stopped';
    await new Promise<void>((resolve) => this.log.end(resolve));
  }

  private async kill(child: ChildProcess, graceMs: number): Promise<void> {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      signalGroup(child, 'SIGTERM');
      const killer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
      await gone;
      clearTimeout(killer);
    }
    // Whatever it forked and left behind in its group goes too.
    signalGroup(child, 'SIGKILL');
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.lastExit = { code, signal, at: new Date().toISOString() };
    if (this.stopping || this.state !== 'running') return;
    this.logger.warn({ code, signal }, 'service died');
    this.quickDeaths = Date.now() - this.runningSince >= STABLE_MS ? 0 : this.quickDeaths + 1;
    if (!this.options.restart) {
      this.state = 'failed';
      return;
    }
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    this.state = 'restarting';
    const delay = Math.min(
      this.options.restartBackoffMaxMs,
      RESTART_MIN_MS * 2 ** Math.min(Math.max(this.quickDeaths - 1, 0), 10),
    );
    this.restarts++;
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      // Same port as before, so the router and the other services keep the same address.
      if (this.spec.readiness === 'listening-line') this.pinPort();
      this.start().then(
        () => {
          this.logger.log({ restarts: this.restarts }, 'service restarted');
          this.options.onRestarted(this);
        },
        (err: unknown) => {
          if (this.stopping) return;
          this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'restart failed; retrying');
          this.scheduleRestart();
        },
      );
    }, delay);
    this.restartTimer.unref();
  }

  /** Replaces `--port 0` by the port learned at the first start. */
  private pinPort(): void {
    const at = this.spec.args.indexOf('--port');
    if (at >= 0) this.spec.args[at + 1] = String(this.spec.port);
  }

  private async healthy(): Promise<void> {
    for (;;) {
      if (await this.options.probeHealth(`${this.url}/health`)) return;
      if (this.child?.exitCode !== null || this.child?.signalCode !== null)
        throw new Error('exited before it was ready');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}
