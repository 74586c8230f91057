#!/usr/bin/env node
// Compiles apps/ and libs/ with SWC (ES modules, decorator metadata, `@app/common` rewritten to
// relative paths) into dist/, then writes the entry point every app is started with:
// `node dist/apps/<app>/main.js`. Type checking is a separate step (`npm run typecheck`).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [
    join(root, 'node_modules/@swc/cli/bin/swc.js'),
    'apps',
    'libs',
    '-d',
    'dist',
    '--config-file',
    '.swcrc',
    // Tests, their fixtures and the in-process test helpers never ship in dist/.
    '--ignore',
    '**/*.spec.ts,**/*.fixtures.ts,libs/common/src/testing/**',
    '--quiet',
  ],
  { cwd: root, stdio: 'inherit' },
);
for (const app of readdirSync(join(root, 'apps'))) {
  if (!existsSync(join(root, 'apps', app, 'src', 'main.ts'))) continue;
  mkdirSync(join(dist, 'apps', app), { recursive: true });
  writeFileSync(join(dist, 'apps', app, 'main.js'), "import './src/main.js';\n");
}
writeFileSync(join(dist, 'package.json'), JSON.stringify({ type: 'module' }) + '\n');
process.stdout.write(`built ${readdirSync(join(dist, 'apps')).join(', ')} into dist/\n`);
