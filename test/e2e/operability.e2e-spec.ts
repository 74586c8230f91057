// One suite over 300 lines: everything an operator touches, against one stack started the way an
// operator starts it (`rollout up -d`): the CLI's verbs, the metrics and the Grafana dashboard
// built on them, traces across the hops, the live dashboard in a real browser, readable logs.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import chromium from '@sparticuz/chromium';
import puppeteer, { type Browser } from 'puppeteer-core';
import { call } from '../support/http.js';
import { Listener } from '../support/listener.js';
import { metricNamesOfPromQL } from '../support/promql.js';
import { waitFor } from '../support/wait.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ADMIN = 'operability-admin-key';
/** `rollout up` flags for a stack on free ports with one engine-sim, as both stacks here run. */
const ONE_SIM_STACK = ['--port', '0', '--gateway-port', '0', '--admin-api-key', ADMIN, '--backend', 'sim:d1'];
const ARTIFACTS = join(ROOT, 'test/artifacts');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `rollout …` (the package's bin) as a user would, against this suite's state directory. */
function rollout(stateDir: string, args: string[], timeoutMs = 60_000): Promise<CliResult> {
  return rolloutWithEnv(['--state-dir', stateDir, ...args], {}, timeoutMs);
}

/** Runs `rollout …` with no state flag: the state directory comes from the environment (ROLLOUT_HOME). */
function rolloutWithEnv(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/rollout.mjs'), ...args],
      {
        cwd: ROOT,
        timeout: timeoutMs,
        env: { ...process.env, ROLLOUT_ADMIN_KEY: undefined, ROLLOUT_HOME: undefined, ...env },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Metric names a service exposes (histograms by their base name too). */
async function exposedMetrics(url: string): Promise<Set<string>> {
  const res = await call('GET', `${url}/metrics`);
  const names = new Set<string>();
  for (const line of res.text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (!type) continue;
    names.add(type[1]);
    if (type[2] === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(type[1] + suffix);
  }
  return names;
}

describe('operability: rollout CLI, metrics and Grafana, traces, live dashboard, logs', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'rollout-cli-'));
  const collector = new Listener((_req, res) => res.end('{}'));
  let controllerUrl = '';
  let status: any;

  beforeAll(async () => {
    await collector.start();
    const up = await rollout(
      stateDir,
      [
        'up',
        '-d',
        '--timeout',
        '90',
        ...ONE_SIM_STACK,
        '--engine-sim-args',
        '--mode echo --decode-ms-per-token 1',
        '--poll-interval',
        '0.2',
        '--otlp-endpoint',
        `http://127.0.0.1:${collector.port}`,
      ],
      120_000,
    );
    expect([up.code, up.stderr]).toEqual([0, expect.any(String)]);
    expect(up.stdout).toMatch(/stack up: controller http:\/\/127\.0\.0\.1:\d+/);
    const record = JSON.parse(readFileSync(join(stateDir, 'stack.json'), 'utf8'));
    controllerUrl = record.controller_url;
    status = (await call('GET', `${controllerUrl}/status`, { token: ADMIN })).json;
  }, 150_000);

  afterAll(async () => {
    const down = await rollout(stateDir, ['down']);
    expect(down.code).toBe(0);
    expect(existsSync(join(stateDir, 'stack.json'))).toBe(false);
    await collector.stop();
  }, 90_000);

  describe('the rollout CLI', () => {
    it('status and ps show every component; --json is the controller answer; logs reads a component', async () => {
      const shown = await rollout(stateDir, ['status']);
      expect(shown.code).toBe(0);
      for (const name of ['gateway', 'router', 'data-proxy-0', 'engine-0']) expect(shown.stdout).toContain(name);
      expect(shown.stdout).toMatch(/stack ready \(local\)/);
      const json = JSON.parse((await rollout(stateDir, ['status', '--json'])).stdout);
      expect(json.gateway.addr).toBe(status.gateway.addr);
      const processes = JSON.parse((await rollout(stateDir, ['ps', '--json'])).stdout);
      expect(processes.map((p: { name: string }) => p.name).sort()).toEqual(
        ['data-proxy-0', 'engine-0', 'gateway-0', 'router-0'].sort(),
      );
      expect((await rollout(stateDir, ['ps'])).stdout).toMatch(/name +pid +address +state +restarts/);

      const logs = await rollout(stateDir, ['logs', 'gateway-0', '-n', '3']);
      expect(logs.code).toBe(0);
      expect(logs.stdout.trim().split('\n').length).toBeLessThanOrEqual(3);
      const unknown = await rollout(stateDir, ['logs', 'nope']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/no log for "nope".*known: .*gateway-0/s);
    });

    it('pause, set-version, continue, offload, onload, models; usage errors exit 2', async () => {
      expect((await rollout(stateDir, ['pause'])).stdout).toMatch(/pause: ok \(1\/1 data proxies\)/);
      expect((await rollout(stateDir, ['status'])).stdout).toContain('PAUSED');
      expect((await rollout(stateDir, ['set-version', '3'])).code).toBe(0);
      expect((await rollout(stateDir, ['continue'])).code).toBe(0);
      expect((await rollout(stateDir, ['status', '--json'])).stdout).toMatch(/"version": 3/);
      expect((await rollout(stateDir, ['offload'])).code).toBe(0);
      expect((await rollout(stateDir, ['status'])).stdout).toContain('OFFLOADED');
      expect((await rollout(stateDir, ['onload'])).code).toBe(0);
      expect((await rollout(stateDir, ['continue'])).code).toBe(0);
      expect((await rollout(stateDir, ['models'])).stdout).toContain('engine-sim');
      expect((await rollout(stateDir, ['set-version', 'x'])).code).toBe(2);
      expect((await rollout(stateDir, ['frobnicate'])).code).toBe(2);
      const help = await rollout(stateDir, ['--help']);
      expect([help.code, help.stdout]).toEqual([0, expect.stringContaining('trajectories')]);
      const nowhere = await rollout(mkdtempSync(join(tmpdir(), 'rollout-none-')), ['status']);
      expect([nowhere.code, nowhere.stderr]).toEqual([1, expect.stringContaining('no stack recorded')]);
    });

    it('register starts a data proxy for a running engine (it joins the router); deregister removes it', async () => {
      const engine = status.engines[0].addr as string;
      const registered = await rollout(stateDir, ['register', '--engine', engine]);
      expect(registered.code).toBe(0);
      const addr = /started data proxy (http:\/\/127\.0\.0\.1:\d+)/.exec(registered.stdout)![1];
      const workers = async () =>
        (await call('GET', `${status.router.addr}/workers`, { token: ADMIN })).json.workers.map(
          (w: { addr: string }) => w.addr,
        );
      await waitFor(async () => (await workers()).includes(addr), 15_000);
      expect((await rollout(stateDir, ['deregister', '--data-proxy', addr])).code).toBe(0);
      expect(await workers()).not.toContain(addr);
      // The data proxy `register` started is stopped by `deregister`.
      expect(await call('GET', `${addr}/health`).catch(() => null)).toBeNull();
      expect((await rollout(stateDir, ['register'])).code).toBe(2);
    });

    it('trajectories wait takes a ready trajectory from the online queue', async () => {
      const gateway = status.gateway.addr as string;
      await call('POST', `${gateway}/grant_capacity`, { token: ADMIN });
      const session = (await call('POST', `${gateway}/rl/start_session`, { body: { task_id: 'cli' }, token: ADMIN }))
        .json;
      await call('POST', `${gateway}/v1/chat/completions`, {
        body: { messages: [{ role: 'user', content: 'hello there' }], max_tokens: 8 },
        token: session.api_key,
      });
      await call('POST', `${gateway}/rl/set_reward`, { body: { reward: 1 }, token: session.api_key });
      const waited = await rollout(stateDir, ['trajectories', 'wait', '--count', '1', '--timeout', '20', '--json']);
      expect(waited.code).toBe(0);
      const answer = JSON.parse(waited.stdout);
      expect(answer.trajectories).toEqual([expect.objectContaining({ session_id: session.session_id, ok: true })]);
    });
  });

  it('every service exposes the GenAI and RL metrics; every Grafana panel queries a metric that exists', async () => {
    const gateway = status.gateway.addr as string;
    const stream = await call('POST', `${gateway}/v1/chat/completions`, {
      body: { messages: [{ role: 'user', content: 'count one two three' }], stream: true, max_tokens: 8 },
      token: ADMIN,
    });
    expect(stream.status).toBe(200);
    const urls = [controllerUrl, gateway, status.router.addr, status.data_proxies[0].addr, status.engines[0].addr];
    const exposed = new Set<string>();
    for (const url of urls) for (const name of await exposedMetrics(url)) exposed.add(name);
    const proxyMetrics = (await call('GET', `${status.data_proxies[0].addr}/metrics`)).text;
    expect(proxyMetrics).toMatch(/gen_ai_server_time_to_first_token_seconds_count\{[^}]*api="chat"[^}]*\} [1-9]/);
    expect(proxyMetrics).toMatch(/gen_ai_client_token_usage_sum\{[^}]*gen_ai_token_type="output"[^}]*\} [1-9]/);
    expect(proxyMetrics).toMatch(/gen_ai_response_model="engine-sim"/);
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/rollout.json'), 'utf8'));
    const queried = new Set<string>();
    for (const panel of dashboard.panels) {
      expect(panel.targets.length).toBeGreaterThan(0);
      for (const target of panel.targets) for (const name of metricNamesOfPromQL(target.expr)) queried.add(name);
    }
    expect(queried.size).toBeGreaterThan(15);
    expect([...queried].filter((name) => !exposed.has(name))).toEqual([]);
    // The README's metric table documents every metric the dashboard uses.
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const base = (name: string) => name.replace(/_(bucket|sum|count)$/, '');
    expect([...queried].map(base).filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });

  it('a traceparent crosses gateway → router → data proxy → engine: one trace, parent by parent, in spans and logs', async () => {
    const callerSpan = '00f067aa0ba902b7';
    type Span = { traceId: string; spanId: string; parentSpanId?: string; name: string; service: string };
    const spans = (): Span[] =>
      collector.requests.flatMap((r) =>
        (r.json?.resourceSpans ?? []).flatMap((rs: any) =>
          rs.scopeSpans.flatMap((ss: any) =>
            ss.spans.map((s: any) => ({ ...s, service: rs.resource.attributes[0].value.stringValue })),
          ),
        ),
      );
    const traced = async (traceId: string, services: string[]): Promise<Record<string, Span>> => {
      const inTrace = () => spans().filter((s) => s.traceId === traceId);
      await waitFor(() => services.every((name) => inTrace().some((s) => s.service === name)), 10_000, 100);
      return Object.fromEntries(inTrace().map((s) => [s.service, s]));
    };
    const gateway = status.gateway.addr as string;

    // Starting a session: the gateway asks the router, then the data proxy it picked.
    const startTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    await call('POST', `${gateway}/grant_capacity`, { token: ADMIN });
    const started = await call('POST', `${gateway}/rl/start_session`, {
      body: { task_id: 'traced' },
      token: ADMIN,
      headers: { traceparent: `00-${startTrace}-${callerSpan}-01` },
    });
    expect(started.status).toBe(201);
    const start = await traced(startTrace, ['gateway', 'router', 'data-proxy']);
    expect(start.gateway.parentSpanId).toBe(callerSpan);
    expect(start.router.parentSpanId).toBe(start.gateway.spanId);
    expect(start['data-proxy'].parentSpanId).toBe(start.gateway.spanId);

    // A turn: gateway → data proxy → engine.
    const chatTrace = '5bf92f3577b34da6a3ce929d0e0e4736';
    const res = await call('POST', `${gateway}/v1/chat/completions`, {
      body: { messages: [{ role: 'user', content: 'trace me' }], max_tokens: 4 },
      token: started.json.api_key,
      headers: { traceparent: `00-${chatTrace}-${callerSpan}-01` },
    });
    expect(res.status).toBe(200);
    const turn = await traced(chatTrace, ['gateway', 'data-proxy', 'engine-sim']);
    expect(turn.gateway.parentSpanId).toBe(callerSpan);
    expect(turn['data-proxy'].parentSpanId).toBe(turn.gateway.spanId);
    expect(turn['engine-sim'].parentSpanId).toBe(turn['data-proxy'].spanId);
    expect(turn['data-proxy'].name).toBe('POST /chat/completions');
    expect(turn['engine-sim'].name).toBe('POST /generate');
    expect(collector.requests[0].path).toBe('/v1/traces');
    const traceId = '6bf92f3577b34da6a3ce929d0e0e4736';

    // The trace id is in the log lines written while serving a request: the data proxy logs the
    // pause the controller broadcast (controller → gateway → data proxy, one trace).
    const paused = await call('POST', `${controllerUrl}/pause`, {
      body: {},
      token: ADMIN,
      headers: { traceparent: `00-${traceId}-${callerSpan}-01` },
    });
    expect(paused.status).toBe(200);
    await call('POST', `${controllerUrl}/continue`, { body: {}, token: ADMIN });
    const logDir = JSON.parse(readFileSync(join(stateDir, 'stack.json'), 'utf8')).log_dir;
    await waitFor(
      () => readFileSync(join(logDir, 'data-proxy-0.log'), 'utf8').includes(`"trace_id":"${traceId}"`),
      5000,
      100,
    );
  });

  it('the live dashboard in a real browser: log in, see the stack, a chart advances while a rollout runs', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // A pinned headless Chromium that ships inside an npm package (unpacked to the temp folder).
    // Its language is set: under a C locale it reports `en-US@posix`, which Intl (and so uPlot) refuses.
    const browser: Browser = await puppeteer.launch({
      executablePath: await chromium.executablePath(),
      headless: true,
      args: [...chromium.args, '--lang=en-US'],
    });
    try {
      const page = await browser.newPage();
      await page.setViewport({ width: 1400, height: 1000 });
      await page.goto(`${controllerUrl}/dashboard`);
      await page.waitForSelector('#login:not(.hidden)');
      await page.type('#key', 'wrong-key');
      await page.click('#login button[type=submit]');
      await page.waitForFunction(() =>
        (globalThis as any).document.getElementById('login-error')?.textContent.includes('refused'),
      );
      await page.type('#key', ADMIN);
      await page.click('#login button[type=submit]');
      await page.waitForFunction(
        () => (globalThis as any).document.getElementById('stack')?.textContent.includes('data-proxy-0'),
        {
          timeout: 15_000,
        },
      );
      expect(page.url()).toBe(`${controllerUrl}/dashboard`);
      expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('rollout.adminKey'))).toBe(ADMIN);

      // A rollout while the page watches: the counters and the rate chart move.
      const points = () => page.evaluate(() => (globalThis as any).rolloutDashboard.history.t.length as number);
      const before = await points();
      const batch = call('POST', `${controllerUrl}/rollout/batch`, {
        body: {
          items: Array.from({ length: 12 }, (_, i) => ({ question: `What is ${i} + 1?`, answer: String(i + 1) })),
          agent: 'examples/math-agent/agent.mjs',
        },
        token: ADMIN,
      });
      await page.waitForFunction(
        () => Number((globalThis as any).document.getElementById('accepted')?.textContent) > 0,
        {
          timeout: 30_000,
        },
      );
      expect((await batch).status).toBe(200);
      await page.waitForFunction(() => (globalThis as any).rolloutDashboard.history.eps.some((v: number) => v > 0), {
        timeout: 10_000,
      });
      // A few seconds of the rollout on the charts, for the screenshot.
      await page.waitForFunction(
        (n: number) => (globalThis as any).rolloutDashboard.history.t.length >= n,
        {},
        before + 4,
      );
      expect(await points()).toBeGreaterThan(before);
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
      expect(existsSync(join(ARTIFACTS, 'dashboard.png'))).toBe(true);
    } finally {
      await browser.close();
    }
  }, 90_000);

  it('npm start is rollout up: readable lines before the banner, rollout status in another terminal sees the stack, Ctrl-C stops it', async () => {
    // Exactly what `npm start` runs after its build, with the state directory from the
    // environment, as a user's ~/.rollout would be, and this suite's ports and backend.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const [build, start] = (pkg.scripts.start as string).split(' && ');
    expect(build).toBe('npm run build');
    const [command, ...startArgs] = start.split(' ');
    expect([command, ...startArgs]).toEqual(['node', 'bin/rollout.mjs', 'up']);
    const home = mkdtempSync(join(tmpdir(), 'rollout-npm-start-'));
    const child = spawn(process.execPath, [...startArgs, ...ONE_SIM_STACK, '--log-format', 'pretty'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ROLLOUT_HOME: home },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    try {
      await waitFor(() => output.includes('Stack ready'), 60_000, 100);
      const before = output.slice(0, output.indexOf('Stack ready')).split('\n');
      expect(before.length).toBeLessThan(40);
      expect(before.filter((line) => line.startsWith('{') || line.includes('Mapped {'))).toEqual([]);
      expect(before.some((line) => /^\d\d:\d\d:\d\d INFO +gateway-0 /.test(line))).toBe(true);

      // Another terminal: `npx rollout status` finds the stack through the same state directory.
      const shown = await rolloutWithEnv(['status'], { ROLLOUT_HOME: home });
      expect([shown.code, shown.stderr]).toEqual([0, '']);
      expect(shown.stdout).toMatch(/stack ready \(local\)/);
      for (const name of ['gateway', 'router', 'data-proxy-0', 'engine-0']) expect(shown.stdout).toContain(name);
      expect((await rolloutWithEnv(['ps'], { ROLLOUT_HOME: home })).stdout).toContain('gateway-0');
    } finally {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    expect(existsSync(join(home, 'stack.json'))).toBe(false);
    const after = await rolloutWithEnv(['status'], { ROLLOUT_HOME: home });
    expect([after.code, after.stderr]).toEqual([1, expect.stringContaining('no stack recorded')]);
  }, 90_000);
});
