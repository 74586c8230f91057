#!/usr/bin/env node
// The `rollout` command (package.json "bin"): runs the built CLI (apps/cli), after `npm run build`.
import { existsSync } from 'node:fs';

const main = new URL('../dist/apps/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('rollout: not built yet; run `npm run build` first\n');
  process.exit(1);
}
await import(main.href);
