// The live dashboard's script, run in the browser (DOM types: ./tsconfig.json). It holds no data:
// after the login form, the admin key (kept in this browser tab's sessionStorage, never in a URL)
// opens `GET /dashboard/events`, one DashboardSnapshotDto a second, read with fetch (EventSource
// cannot send an Authorization header). Charts are uPlot, served from the package beside it.
import type { DashboardSnapshotDto } from '@app/contracts';

type UPlot = typeof import('uplot');
type Chart = InstanceType<UPlot>;
type Series = import('uplot').Series;

/** uPlot's browser build, loaded by its own <script> tag before this module runs. */
declare const uPlot: UPlot;

const KEY = 'rollout.adminKey';
/** Points kept per chart: ten minutes at one snapshot a second. */
const KEEP = 600;
const RECONNECT_MS = 2000;

const history = {
  t: [] as number[],
  eps: [] as number[],
  tps: [] as number[],
  capacity: [] as number[],
  running: [] as number[],
  concurrency: [] as number[],
  staleness: [] as number[],
  version: [] as number[],
  paused: [] as number[],
};
type HistoryKey = keyof typeof history;

// For people debugging the page (and the browser test): what the charts hold.
(window as unknown as { rolloutDashboard: { history: typeof history } }).rolloutDashboard = { history };

function $(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element;
}

const keyInput = $('key') as HTMLInputElement;

const esc = (value: string | number | boolean | null | undefined): string =>
  String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
const rows = (header: string[], body: string[][]): string =>
  '<tr>' +
  header.map((h) => `<th>${esc(h)}</th>`).join('') +
  '</tr>' +
  body.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
const dot = (ok: boolean): string => `<span class="dot${ok ? ' ok' : ''}"></span>`;
const fmt = (n: number | null | undefined, digits = 0): string =>
  n === null || n === undefined ? '-' : Number(n).toFixed(digits);
/** `HH:MM:SS` in local time, the same in every browser (a locale the browser cannot name throws in toLocaleTimeString). */
const clock = (at: number | string): string => {
  const d = new Date(at);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
};

function showLogin(message: string): void {
  $('app').classList.add('hidden');
  $('login').classList.remove('hidden');
  $('login-error').textContent = message;
  keyInput.focus();
}

const AXIS = { stroke: '#8a96a3', grid: { stroke: '#263040' } };

function chart(id: string, series: Series[]): Chart {
  const element = $(id);
  const width = Math.max(300, element.clientWidth || 440);
  return new uPlot(
    { width, height: 170, series: [{}, ...series], axes: [AXIS, AXIS] },
    [[], ...series.map(() => [])],
    element,
  );
}

let charts: { rates: Chart; budget: Chart; version: Chart } | null = null;

function ensureCharts(): NonNullable<typeof charts> {
  charts ??= {
    rates: chart('chart-rates', [
      { label: 'episodes/s', stroke: '#3fb950', width: 2 },
      { label: 'tokens/s (÷100)', stroke: '#58a6ff', width: 2 },
    ]),
    budget: chart('chart-budget', [
      { label: 'capacity', stroke: '#3fb950', width: 2 },
      { label: 'running', stroke: '#58a6ff', width: 2 },
      { label: 'concurrency room', stroke: '#8a96a3' },
      { label: 'staleness room', stroke: '#d29922' },
    ]),
    version: chart('chart-version', [
      { label: 'version', stroke: '#58a6ff', width: 2, paths: uPlot.paths.stepped!({ align: 1 }) },
      {
        label: 'paused',
        stroke: '#d29922',
        fill: 'rgba(210,153,34,0.25)',
        paths: uPlot.paths.stepped!({ align: 1 }),
      },
    ]),
  };
  return charts;
}

function push(key: HistoryKey, value: number): void {
  history[key].push(value);
  if (history[key].length > KEEP) history[key].shift();
}

let previous: { at: number; finished: number; tokens: number } | null = null;

function render(s: DashboardSnapshotDto): void {
  const drawn = ensureCharts();
  const finished = s.rollout.accepted + s.rollout.rejected;
  const tokens = s.data_proxies.reduce((n, p) => n + p.output_tokens, 0);
  let eps = 0;
  let tps = 0;
  if (previous) {
    const seconds = Math.max(0.001, (s.at - previous.at) / 1000);
    eps = Math.max(0, (finished - previous.finished) / seconds);
    tps = Math.max(0, (tokens - previous.tokens) / seconds);
  }
  previous = { at: s.at, finished, tokens };
  push('t', s.at / 1000);
  push('eps', eps);
  push('tps', tps / 100);
  push('capacity', s.capacity.capacity ?? 0);
  push('running', s.capacity.running ?? 0);
  push('concurrency', s.capacity.concurrency_room ?? 0);
  push('staleness', s.capacity.staleness_room ?? 0);
  push('version', s.stack.version);
  push('paused', s.stack.paused ? 1 : 0);
  drawn.rates.setData([history.t, history.eps, history.tps]);
  drawn.budget.setData([history.t, history.capacity, history.running, history.concurrency, history.staleness]);
  drawn.version.setData([history.t, history.version, history.paused]);

  $('state').textContent = `${s.stack.state} · ${s.stack.mode}`;
  $('state').className = `badge ${s.stack.state === 'ready' ? 'ok' : 'bad'}`;
  $('version').textContent = String(s.stack.version);
  $('paused').classList.toggle('hidden', !s.stack.paused);
  $('offloaded').classList.toggle('hidden', !s.stack.offloaded);
  $('running').textContent = String(s.rollout.running);
  $('queued').textContent = String(s.rollout.queued);
  $('accepted').textContent = String(s.rollout.accepted);
  $('rejected').textContent = String(s.rollout.rejected);
  $('eps').textContent = fmt(eps, 1);
  $('tps').textContent = fmt(tps, 0);
  $('budget').innerHTML = rows(
    ['term', 'value'],
    Object.entries(s.capacity).map(([k, v]) => [esc(k), esc(v)]),
  );
  $('timeline').innerHTML = rows(
    ['time', 'event', 'version'],
    s.timeline
      .slice(-8)
      .reverse()
      .map((e) => [esc(clock(e.at)), esc(e.kind), esc(e.version)]),
  );
  $('stack').innerHTML = rows(
    ['component', 'address', 'health'],
    s.stack.components.map((c) => [dot(c.healthy) + esc(c.name), esc(c.addr), esc(c.detail)]),
  );
  $('proxies').innerHTML = rows(
    [
      'data proxy',
      'version',
      'paused',
      'sessions',
      'in flight',
      'parked',
      'turns',
      'tokens',
      'resubmits',
      'cache hits',
    ],
    s.data_proxies.map((p) => [
      dot(p.healthy) + esc(p.addr),
      esc(p.version ?? '-'),
      p.paused ? 'yes' : '',
      esc(p.sessions),
      esc(p.in_flight),
      esc(p.parked),
      esc(p.turns),
      esc(p.output_tokens),
      esc(p.resubmits),
      p.cache_hit_rate === null ? '<span class="muted">n/a</span>' : esc(`${fmt(p.cache_hit_rate * 100, 1)} %`),
    ]),
  );
  $('errors').innerHTML =
    s.errors.length === 0
      ? '<tr><td class="muted">no errors</td></tr>'
      : rows(
          ['time', 'source', 'status', 'code', 'path', 'message'],
          s.errors
            .slice()
            .reverse()
            .map((e) => [esc(clock(e.at)), esc(e.source), esc(e.status), esc(e.code), esc(e.path), esc(e.message)]),
        );
}

let stream: AbortController | null = null;

function setConnection(text: string, style: string): void {
  $('conn').textContent = text;
  $('conn').className = `badge ${style}`;
}

/** Reads the snapshot stream until it ends or fails, then tries again (unless logged out). */
async function connect(key: string): Promise<void> {
  stream?.abort();
  const own = new AbortController();
  stream = own;
  setConnection('connecting', 'muted');
  let res: Response;
  try {
    res = await fetch('/dashboard/events', {
      headers: { authorization: `Bearer ${key}` },
      signal: own.signal,
      cache: 'no-store',
    });
  } catch {
    if (own.signal.aborted) return;
    setConnection('reconnecting', 'warn');
    setTimeout(() => void connect(key), RECONNECT_MS);
    return;
  }
  if (res.status === 401 || res.status === 403) {
    sessionStorage.removeItem(KEY);
    showLogin('The admin key was refused.');
    return;
  }
  $('login').classList.add('hidden');
  $('app').classList.remove('hidden');
  setConnection('live', 'ok');
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let at: number;
      while ((at = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        for (const line of block.split('\n'))
          if (line.startsWith('data: ')) render(JSON.parse(line.slice(6)) as DashboardSnapshotDto);
      }
    }
  } catch (err) {
    if (own.signal.aborted) return;
    // A snapshot the page cannot draw is a bug to see in the console, not a silent reconnect loop.
    console.error('dashboard stream stopped:', err);
  }
  setConnection('reconnecting', 'warn');
  setTimeout(() => void connect(key), RECONNECT_MS);
}

$('login').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = keyInput.value;
  keyInput.value = '';
  sessionStorage.setItem(KEY, key);
  void connect(key);
});
$('logout').addEventListener('click', () => {
  sessionStorage.removeItem(KEY);
  stream?.abort();
  showLogin('');
});
const saved = sessionStorage.getItem(KEY);
if (saved) void connect(saved);
else showLogin('');
