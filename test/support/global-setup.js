import { existsSync } from 'node:fs';

export default function globalSetup() {
  for (const app of ['router', 'gateway', 'data-proxy', 'controller', 'engine-sim']) {
    if (!existsSync(new URL(`../../dist/apps/${app}/main.js`, import.meta.url))) {
      throw new Error(`dist/apps/${app}/main.js is missing: run \`npm run build\` before the e2e tests`);
    }
  }
}
