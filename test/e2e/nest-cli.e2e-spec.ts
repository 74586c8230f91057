import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { call } from '../support/http.js';
import { listeningPort } from '@app/common/testing';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NEST = 'node_modules/@nestjs/cli/bin/nest.js';

/** What each app needs to start on its own (the controller attaches to nothing and waits). */
const ARGS: Record<string, string[]> = {
  controller: ['--mode', 'attach', '--gateway-addr', 'http://127.0.0.1:9', '--router-addr', 'http://127.0.0.1:9'],
};

/**
 * The Nest CLI way a NestJS user expects (`nest-cli.json`, monorepo): `npx nest start <app> --
 * --port 0` builds with SWC and starts the app, which then serves `/health`.
 */
describe.each(['router', 'gateway', 'data-proxy', 'engine-sim', 'controller'])('npx nest start %s', (app) => {
  it('builds, starts and serves /health', async () => {
    const child = spawn(
      process.execPath,
      [NEST, 'start', app, '--', '--port', '0', '--admin-api-key', 'nest-cli-key', ...(ARGS[app] ?? [])],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    const output: string[] = [];
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line:\n${output.join('\n')}`)), 60_000);
        const onLine = (line: string): void => {
          output.push(line);
          const port = listeningPort(line);
          if (port !== null) {
            clearTimeout(timer);
            resolve(`http://127.0.0.1:${port}`);
          }
        };
        createInterface({ input: child.stdout }).on('line', onLine);
        createInterface({ input: child.stderr }).on('line', onLine);
        child.once('exit', (code) => reject(new Error(`nest start exited with ${code}:\n${output.join('\n')}`)));
      });
      expect((await call('GET', `${url}/health`)).status).toBe(200);
    } finally {
      // The CLI runs the app as its own child: stop the whole process group.
      // The app holds the pipes too: wait until both are closed, so no handle outlives the test.
      const closed = Promise.all([child.stdout, child.stderr].map((s) => new Promise((r) => s.once('close', r))));
      process.kill(-child.pid!, 'SIGTERM');
      await Promise.all([new Promise((resolve) => child.once('exit', resolve)), closed]);
    }
  }, 90_000);
});
