// Processes a script starts die with it, however it ends:
// - Ctrl-C, SIGTERM (a `timeout`), SIGHUP, or its output pipe closing (`| head`): the script stops
//   its children (SIGTERM, then SIGKILL after a grace period) and exits;
// - a crash: the exit handler sends SIGTERM to every child still running;
// - a SIGKILL, where no code of the script runs: every child holds a pipe to the script on its
//   stdin, and the kernel closes it when the script dies. The services see it with
//   `--exit-with-stdin` (EXIT_WITH_STDIN), the bench's helpers with `exitWhenParentGoes()`.
import { spawn } from 'node:child_process';

const owned = new Set();
let installed = false;

const EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** Stops one child: SIGTERM, then SIGKILL after `graceMs`; resolves with its exit code. */
export function stopChild(child, graceMs = 5000) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
  });
}

/** Stops every child this process still owns. */
export function stopAllChildren(graceMs = 5000) {
  return Promise.all([...owned].map((child) => stopChild(child, graceMs)));
}

let stopping = false;
function stopThenExit(code) {
  if (stopping) return;
  stopping = true;
  // Work in flight fails as its processes go (a load client's pipe, a service's connection):
  // expected now, and no reason to exit before the rest is stopped, or with another status.
  process.on('uncaughtException', () => undefined);
  process.on('unhandledRejection', () => undefined);
  void stopAllChildren().finally(() => process.exit(code));
}

/**
 * The script's own end: exits with `code`, unless it is already stopping on a signal or a closed
 * pipe (that stop's status wins, and it exits once its children are gone).
 */
export function exitScript(code) {
  if (!stopping) process.exit(code);
}

function installHandlers() {
  if (installed) return;
  installed = true;
  for (const [signal, code] of Object.entries(EXIT_CODES)) process.once(signal, () => stopThenExit(code));
  // Node ignores SIGPIPE: a closed output pipe shows up as EPIPE on the next write.
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (err) => {
      if (err.code === 'EPIPE') stopThenExit(141);
      else throw err;
    });
  process.once('exit', () => {
    for (const child of owned) child.kill('SIGTERM');
  });
}

/**
 * `child_process.spawn`, for a child that must not outlive this script: its stdin is a pipe that
 * stays open until the script ends (write to `child.stdin` if it reads input; never end it unless
 * the child should stop), and the script's signal, pipe and exit handlers stop it.
 */
export function spawnOwned(command, args, options = {}) {
  installHandlers();
  const [, out = 'pipe', err = 'pipe'] = Array.isArray(options.stdio) ? options.stdio : [];
  const child = spawn(command, args, { ...options, stdio: ['pipe', out, err] });
  // A child that exits first must not make our writes to its stdin throw.
  child.stdin.on('error', () => undefined);
  owned.add(child);
  child.once('exit', () => owned.delete(child));
  return child;
}

/** The flag that makes a service (bootstrapApp) shut down when its stdin closes. */
export const EXIT_WITH_STDIN = '--exit-with-stdin';

/**
 * For a helper process a script started with spawnOwned (a load client, the stub data proxy):
 * exit when the script's end of stdin closes, i.e. when the script is gone.
 */
export function exitWhenParentGoes(code = 0) {
  process.stdin.once('end', () => process.exit(code));
  process.stdin.once('error', () => process.exit(code));
  process.stdin.resume();
}

/**
 * For a helper that takes its settings as one JSON line on stdin (bench load clients): resolves
 * with them, and exits when the script's end of stdin closes afterwards.
 */
export function readSettingsLine() {
  return new Promise((resolve) => {
    let data = '';
    const onData = (chunk) => {
      data += chunk;
      const end = data.indexOf('\n');
      if (end < 0) return;
      process.stdin.off('data', onData);
      // Watching for the script's end must not keep a finished helper alive.
      process.stdin.unref();
      resolve(JSON.parse(data.slice(0, end)));
    };
    process.stdin.on('data', onData);
    exitWhenParentGoes();
  });
}
