#!/usr/bin/env node
// Compiles apps/ and libs/ with SWC (ES modules, decorator metadata, `@app/common` rewritten to
// relative paths) into dist/, copies the static files of every `public/` folder beside their
// compiled scripts (the dashboard's page and style), then writes the entry point every app is
// started with: `node dist/apps/<app>/main.js`. Type checking is a separate step (`npm run typecheck`).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseCommandLine } from './lib/command-line.mjs';

parseCommandLine({
  usage: 'node scripts/build.mjs   (npm run build)',
  description:
    'Compiles apps/ and libs/ with SWC into dist/ (tests excluded) and writes dist/apps/<app>/main.js for every app. No type check: npm run typecheck.',
});

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
// A `public/` folder holds what a browser loads: its TypeScript is compiled above (its own
// tsconfig.json gives it DOM types), its other files are copied as they are.
for (const top of ['apps', 'libs'])
  for (const entry of readdirSync(join(root, top), { recursive: true, withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name !== 'public') continue;
    const from = join(entry.parentPath, entry.name);
    cpSync(from, join(dist, relative(root, from)), {
      recursive: true,
      filter: (path) => !path.endsWith('.ts') && !path.endsWith('tsconfig.json'),
    });
  }
for (const app of readdirSync(join(root, 'apps'))) {
  if (!existsSync(join(root, 'apps', app, 'src', 'main.ts'))) continue;
  mkdirSync(join(dist, 'apps', app), { recursive: true });
  writeFileSync(join(dist, 'apps', app, 'main.js'), "import './src/main.js';\n");
}
writeFileSync(join(dist, 'package.json'), JSON.stringify({ type: 'module' }) + '\n');
process.stdout.write(`built ${readdirSync(join(dist, 'apps')).join(', ')} into dist/\n`);
