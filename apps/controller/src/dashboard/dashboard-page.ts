// One unit over 300 lines: the live dashboard is one self-contained page (markup, style and the
// script that reads the snapshot stream and draws it); it is served as it is, with uPlot beside it.

/**
 * The dashboard page. It holds no data: after the login form, the admin key (kept in this
 * browser tab's sessionStorage, never in a URL) opens `GET /dashboard/events`, one snapshot a
 * second, read with fetch (EventSource cannot send an Authorization header). Charts are uPlot,
 * served from the package (`/dashboard/assets/uplot.*`), no CDN.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rollout dashboard</title>
<link rel="stylesheet" href="/dashboard/assets/uplot.css">
<style>
  :root { --bg:#0f1419; --panel:#182028; --text:#d8dee4; --dim:#8a96a3; --ok:#3fb950; --bad:#f85149; --warn:#d29922; --accent:#58a6ff; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, sans-serif; background:var(--bg); color:var(--text); }
  header { display:flex; gap:12px; align-items:center; padding:10px 16px; background:var(--panel); border-bottom:1px solid #263040; }
  header h1 { font-size:16px; margin:0 12px 0 0; }
  .badge { padding:2px 8px; border-radius:10px; background:#263040; font-size:12px; }
  .badge.ok { background:#1f3d2a; color:var(--ok); } .badge.bad { background:#4a1f1f; color:var(--bad); } .badge.warn { background:#4a3b12; color:var(--warn); }
  main { display:grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap:12px; padding:12px; }
  section { background:var(--panel); border-radius:6px; padding:10px 12px; min-width:0; }
  section h2 { font-size:13px; margin:0 0 8px; color:var(--dim); text-transform:uppercase; letter-spacing:.04em; }
  table { width:100%; border-collapse:collapse; font-size:12px; }
  th, td { text-align:left; padding:3px 6px; border-bottom:1px solid #263040; white-space:nowrap; }
  th { color:var(--dim); font-weight:500; }
  .scroll { max-height:320px; overflow:auto; }
  .counters { display:flex; gap:18px; flex-wrap:wrap; }
  .counter b { display:block; font-size:22px; }
  .counter span { color:var(--dim); font-size:12px; }
  .dot { display:inline-block; width:8px; height:8px; border-radius:50%; margin-right:6px; background:var(--bad); }
  .dot.ok { background:var(--ok); }
  #login { max-width:360px; margin:12vh auto; background:var(--panel); padding:24px; border-radius:8px; }
  #login input { width:100%; padding:8px; margin:8px 0 12px; background:#0b1015; color:var(--text); border:1px solid #263040; border-radius:4px; }
  button { background:var(--accent); color:#0b1015; border:0; padding:7px 14px; border-radius:4px; cursor:pointer; font-weight:600; }
  .error { color:var(--bad); min-height:1.4em; }
  .muted { color:var(--dim); }
  .u-legend { font-size:11px; }
  .hidden { display:none !important; }
</style>
</head>
<body>
<form id="login" class="hidden" autocomplete="off">
  <h1>Rollout dashboard</h1>
  <p class="muted">The admin key opens the live view. It stays in this tab only (sessionStorage), never in the address bar.</p>
  <label for="key">Admin key</label>
  <input id="key" name="key" type="password" required>
  <div id="login-error" class="error"></div>
  <button type="submit">Open</button>
</form>
<div id="app" class="hidden">
  <header>
    <h1>Rollout</h1>
    <span id="state" class="badge">…</span>
    <span class="badge">version <b id="version">-</b></span>
    <span id="paused" class="badge warn hidden">paused</span>
    <span id="offloaded" class="badge warn hidden">offloaded</span>
    <span id="conn" class="badge muted">connecting</span>
    <span style="flex:1"></span>
    <button id="logout" type="button">Log out</button>
  </header>
  <main>
    <section>
      <h2>Rollout progress</h2>
      <div class="counters">
        <div class="counter"><b id="running">0</b><span>running</span></div>
        <div class="counter"><b id="queued">0</b><span>queued</span></div>
        <div class="counter"><b id="accepted">0</b><span>accepted</span></div>
        <div class="counter"><b id="rejected">0</b><span>rejected</span></div>
        <div class="counter"><b id="eps">0</b><span>episodes/s</span></div>
        <div class="counter"><b id="tps">0</b><span>tokens/s</span></div>
      </div>
      <div id="chart-rates"></div>
    </section>
    <section>
      <h2>Staleness budget</h2>
      <div id="chart-budget"></div>
      <table id="budget"></table>
    </section>
    <section>
      <h2>Weight versions and pauses</h2>
      <div id="chart-version"></div>
      <table id="timeline"></table>
    </section>
    <section>
      <h2>Stack</h2>
      <div class="scroll"><table id="stack"></table></div>
    </section>
    <section style="grid-column: 1 / -1">
      <h2>Data proxies</h2>
      <div class="scroll"><table id="proxies"></table></div>
    </section>
    <section style="grid-column: 1 / -1">
      <h2>Latest errors</h2>
      <div class="scroll"><table id="errors"></table></div>
    </section>
  </main>
</div>
<script src="/dashboard/assets/uplot.js"></script>
<script>
(() => {
  const KEY = 'rollout.adminKey';
  const KEEP = 600;
  const $ = (id) => document.getElementById(id);
  const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  const rows = (header, body) => '<tr>' + header.map((h) => '<th>' + esc(h) + '</th>').join('') + '</tr>' + body.map((r) => '<tr>' + r.map((c) => '<td>' + c + '</td>').join('') + '</tr>').join('');
  const dot = (ok) => '<span class="dot' + (ok ? ' ok' : '') + '"></span>';
  const fmt = (n, d = 0) => (n === null || n === undefined ? '-' : Number(n).toFixed(d));
  let controller = null;
  let previous = null;
  const history = { t: [], eps: [], tps: [], capacity: [], running: [], concurrency: [], staleness: [], version: [], paused: [] };
  const charts = {};
  // For people debugging the page (and the browser test): what the charts hold.
  window.rolloutDashboard = { history };

  function showLogin(message) {
    $('app').classList.add('hidden');
    $('login').classList.remove('hidden');
    $('login-error').textContent = message || '';
    $('key').focus();
  }

  function chart(id, series, opts) {
    const el = $(id);
    const width = Math.max(300, el.clientWidth || 440);
    return new uPlot({ width, height: 170, series: [{}, ...series], axes: [{ stroke: '#8a96a3', grid: { stroke: '#263040' } }, { stroke: '#8a96a3', grid: { stroke: '#263040' } }], ...(opts || {}) }, [[]].concat(series.map(() => [])), el);
  }

  function ensureCharts() {
    if (charts.rates) return;
    charts.rates = chart('chart-rates', [
      { label: 'episodes/s', stroke: '#3fb950', width: 2 },
      { label: 'tokens/s (÷100)', stroke: '#58a6ff', width: 2 },
    ]);
    charts.budget = chart('chart-budget', [
      { label: 'capacity', stroke: '#3fb950', width: 2 },
      { label: 'running', stroke: '#58a6ff', width: 2 },
      { label: 'concurrency room', stroke: '#8a96a3' },
      { label: 'staleness room', stroke: '#d29922' },
    ]);
    charts.version = chart('chart-version', [
      { label: 'version', stroke: '#58a6ff', width: 2, paths: uPlot.paths.stepped({ align: 1 }) },
      { label: 'paused', stroke: '#d29922', fill: 'rgba(210,153,34,0.25)', paths: uPlot.paths.stepped({ align: 1 }) },
    ]);
  }

  function push(key, value) {
    history[key].push(value);
    if (history[key].length > KEEP) history[key].shift();
  }

  function render(s) {
    ensureCharts();
    const t = s.at / 1000;
    const finished = s.rollout.accepted + s.rollout.rejected;
    const tokens = s.data_proxies.reduce((n, p) => n + p.output_tokens, 0);
    let eps = 0, tps = 0;
    if (previous) {
      const dt = Math.max(0.001, (s.at - previous.at) / 1000);
      eps = Math.max(0, (finished - previous.finished) / dt);
      tps = Math.max(0, (tokens - previous.tokens) / dt);
    }
    previous = { at: s.at, finished, tokens };
    push('t', t); push('eps', eps); push('tps', tps / 100);
    push('capacity', s.capacity.capacity ?? 0); push('running', s.capacity.running ?? 0);
    push('concurrency', s.capacity.concurrency_room ?? 0); push('staleness', s.capacity.staleness_room ?? 0);
    push('version', s.stack.version); push('paused', s.stack.paused ? 1 : 0);
    charts.rates.setData([history.t, history.eps, history.tps]);
    charts.budget.setData([history.t, history.capacity, history.running, history.concurrency, history.staleness]);
    charts.version.setData([history.t, history.version, history.paused]);

    $('state').textContent = s.stack.state + ' · ' + s.stack.mode;
    $('state').className = 'badge ' + (s.stack.state === 'ready' ? 'ok' : 'bad');
    $('version').textContent = s.stack.version;
    $('paused').classList.toggle('hidden', !s.stack.paused);
    $('offloaded').classList.toggle('hidden', !s.stack.offloaded);
    $('running').textContent = s.rollout.running;
    $('queued').textContent = s.rollout.queued;
    $('accepted').textContent = s.rollout.accepted;
    $('rejected').textContent = s.rollout.rejected;
    $('eps').textContent = fmt(eps, 1);
    $('tps').textContent = fmt(tps, 0);
    $('budget').innerHTML = rows(['term', 'value'], Object.entries(s.capacity).map(([k, v]) => [esc(k), esc(v)]));
    $('timeline').innerHTML = rows(['time', 'event', 'version'], s.timeline.slice(-8).reverse().map((e) => [esc(new Date(e.at).toLocaleTimeString()), esc(e.kind), esc(e.version)]));
    $('stack').innerHTML = rows(['component', 'address', 'health'], s.stack.components.map((c) => [dot(c.healthy) + esc(c.name), esc(c.addr), esc(c.detail)]));
    $('proxies').innerHTML = rows(
      ['data proxy', 'version', 'paused', 'sessions', 'in flight', 'parked', 'turns', 'tokens', 'resubmits', 'cache hits'],
      s.data_proxies.map((p) => [dot(p.healthy) + esc(p.addr), esc(p.version ?? '-'), p.paused ? 'yes' : '', esc(p.sessions), esc(p.in_flight), esc(p.parked), esc(p.turns), esc(p.output_tokens), esc(p.resubmits), p.cache_hit_rate === null ? '<span class="muted">n/a</span>' : esc(fmt(p.cache_hit_rate * 100, 1) + ' %')]),
    );
    $('errors').innerHTML = s.errors.length === 0
      ? '<tr><td class="muted">no errors</td></tr>'
      : rows(['time', 'source', 'status', 'code', 'path', 'message'], s.errors.slice().reverse().map((e) => [esc(new Date(e.at).toLocaleTimeString()), esc(e.source), esc(e.status), esc(e.code), esc(e.path), esc(e.message)]));
  }

  async function connect(key) {
    if (controller) controller.abort();
    controller = new AbortController();
    $('conn').textContent = 'connecting';
    let res;
    try {
      res = await fetch('/dashboard/events', { headers: { authorization: 'Bearer ' + key }, signal: controller.signal, cache: 'no-store' });
    } catch (err) {
      if (controller.signal.aborted) return;
      $('conn').textContent = 'reconnecting';
      setTimeout(() => connect(key), 2000);
      return;
    }
    if (res.status === 401 || res.status === 403) {
      sessionStorage.removeItem(KEY);
      showLogin('The admin key was refused.');
      return;
    }
    $('login').classList.add('hidden');
    $('app').classList.remove('hidden');
    $('conn').textContent = 'live';
    $('conn').className = 'badge ok';
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let at;
        while ((at = buffer.indexOf('\\n\\n')) >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          for (const line of block.split('\\n')) if (line.startsWith('data: ')) render(JSON.parse(line.slice(6)));
        }
      }
    } catch (err) {
      if (controller.signal.aborted) return;
    }
    $('conn').textContent = 'reconnecting';
    $('conn').className = 'badge warn';
    setTimeout(() => connect(key), 2000);
  }

  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = $('key').value;
    $('key').value = '';
    sessionStorage.setItem(KEY, key);
    connect(key);
  });
  $('logout').addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    if (controller) controller.abort();
    showLogin('');
  });
  const saved = sessionStorage.getItem(KEY);
  if (saved) connect(saved);
  else showLogin('');
})();
</script>
</body>
</html>
`;
