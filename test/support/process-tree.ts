import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { waitFor } from './wait.js';

/** `/proc/<pid>/stat`'s parent pid and state, or null when the process is gone. */
function statOf(pid: number): { ppid: number; state: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], ppid: Number(fields[1]) };
  } catch {
    return null;
  }
}

/** Every process below `pid` (children, their children, …), from /proc. */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = statOf(Number(name));
    if (!stat) continue;
    children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), Number(name)]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Whether a process still runs (a zombie waiting to be reaped has ended). */
export function isRunning(pid: number): boolean {
  const stat = statOf(pid);
  return stat !== null && stat.state !== 'Z';
}

/** The command line of a process, for messages ('' when it is gone). */
export function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** Waits until none of `pids` runs; fails naming the ones still running. */
export async function expectAllGone(pids: number[], timeoutMs: number): Promise<void> {
  try {
    await waitFor(() => pids.every((pid) => !isRunning(pid)), timeoutMs, 100);
  } catch {
    const left = pids.filter(isRunning).map((pid) => `${pid} ${commandOf(pid)}`);
    throw new Error(`still running ${timeoutMs} ms later:\n${left.join('\n')}`);
  }
}

/** When a process started, in clock ticks since boot (`/proc/<pid>/stat` field 22). */
export function startTicksOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

/**
 * Running processes that started at or after `sinceTicks` in working directory `cwd`: what a
 * script left behind even after its children were re-parented (to init) when it died.
 */
export function runningSince(sinceTicks: number, cwd: string, except: readonly number[] = []): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!/^\d+$/.test(name) || except.includes(pid) || !isRunning(pid)) continue;
    try {
      if (startTicksOf(pid) < sinceTicks) continue;
      if (readlinkSync(`/proc/${pid}/cwd`) !== cwd.replace(/\/$/, '')) continue;
    } catch {
      continue;
    }
    found.push(pid);
  }
  return found;
}
