#!/usr/bin/env node
// The first step of `npm test` and `npm run test:e2e`: everything the tests need beyond
// `npm install`, provided or named before any test runs. Each check says what needs it.
// - python3: the end-to-end tests run the Python trainer example and a Python HTTP client. When it
//   is missing, Debian's package is installed with apt-get (through `sudo -n` when not root);
//   where that cannot be done, one sentence says what to install.
// - a headless Chromium for the dashboard's browser test: @sparticuz/chromium, a devDependency,
//   unpacks a pinned build to the temp folder; it is unpacked and started once here, so that a
//   machine it cannot run on fails now with the reason.
// Everything else the tests start is node itself (the services, scripts, the Nest CLI).
import { spawnSync } from 'node:child_process';
import { parseCommandLine } from './lib/command-line.mjs';

const { flags } = parseCommandLine({
  usage: 'node scripts/test-prerequisites.mjs [--check-only]   (npm run test:prerequisites)',
  description:
    'Checks what the tests need beyond npm install (python3, the headless Chromium of @sparticuz/chromium) and installs what is missing where it can (python3 with apt-get).',
  flags: {
    'check-only': { type: 'boolean', description: 'install nothing: fail naming what is missing' },
  },
});

/** Prints one sentence saying what to do, and fails. */
function fail(sentence) {
  process.stderr.write(`test prerequisites: ${sentence}\n`);
  process.exit(1);
}

const succeeds = (command, args, options = {}) =>
  spawnSync(command, args, { stdio: 'ignore', ...options }).status === 0;

function ensurePython() {
  if (succeeds('python3', ['--version'])) return;
  const howTo =
    'the end-to-end tests need python3 (they run examples/python/trainer_client.py): install Python 3 (Debian/Ubuntu: apt-get install python3), then run the tests again';
  if (flags['check-only']) fail(howTo);
  if (!succeeds('apt-get', ['--version'])) fail(`${howTo}; this machine has no apt-get to do it here`);
  const root = process.getuid?.() === 0;
  if (!root && !succeeds('sudo', ['-n', 'true'])) fail(`${howTo}; installing it here needs root or password-less sudo`);
  const run = (args) => {
    const [command, rest] = root ? [args[0], args.slice(1)] : ['sudo', ['-n', ...args]];
    return succeeds(command, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  };
  process.stdout.write("test prerequisites: python3 is missing; installing Debian's package with apt-get\n");
  if (!run(['apt-get', 'update', '-qq']) || !run(['apt-get', 'install', '-y', '-qq', 'python3']))
    fail(`${howTo}; apt-get could not install it (its output is above)`);
  if (!succeeds('python3', ['--version'])) fail(`${howTo}; apt-get installed it but python3 is not on PATH`);
}

async function ensureBrowser() {
  const { default: chromium } = await import('@sparticuz/chromium');
  const { default: puppeteer } = await import('puppeteer-core');
  let executablePath;
  try {
    executablePath = await chromium.executablePath();
    const browser = await puppeteer.launch({
      executablePath,
      args: [...chromium.args, '--lang=en-US'],
      headless: true,
    });
    await browser.close();
  } catch (err) {
    fail(
      `the dashboard's browser test needs the headless Chromium of @sparticuz/chromium (x64 Linux), which does not start here${executablePath ? ` (${executablePath})` : ''}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    );
  }
}

ensurePython();
await ensureBrowser();
