import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CliEnvironment } from './config/cli-environment.js';

/**
 * What `rollout up` leaves for the other commands, in one state directory (like AReaL's
 * `~/.areal/inf`): the controller's address and pid, the admin key (the file is readable by its
 * owner only), where the logs are. Other commands find the stack through it.
 */
export interface StackRecord {
  controller_url: string;
  pid: number;
  admin_api_key: string;
  log_dir: string;
  detached: boolean;
  started_at: string;
  /** Data proxies `rollout register --engine` started (stopped by `deregister`). */
  started_proxies?: { addr: string; pid: number }[];
}

export class StackState {
  readonly dir: string;

  constructor(dir: string | undefined, env: CliEnvironment) {
    this.dir = resolve(dir ?? env.home ?? join(homedir(), '.rollout'));
  }

  get file(): string {
    return join(this.dir, 'stack.json');
  }

  get logDir(): string {
    return join(this.dir, 'logs');
  }

  read(): StackRecord | null {
    if (!existsSync(this.file)) return null;
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as StackRecord;
    } catch {
      return null;
    }
  }

  write(record: StackRecord): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileSync(this.file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    chmodSync(this.file, 0o600);
  }

  clear(): void {
    rmSync(this.file, { force: true });
  }
}

/** Whether a process with this pid is alive (signal 0 tests without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
