// Stepwise web console: a hash-routed single page over stepwised's console
// API (GET /console/api/...) and its AWS JSON endpoint (POST /). No
// framework and no network access beyond stepwised itself.
'use strict';

const TOKEN_KEY = 'stepwise-console-token';
const main = document.getElementById('main');
let token = sessionStorage.getItem(TOKEN_KEY) || '';
// Cleanup of the current page (live watches, timers) before the next one.
let pageCleanup = [];

// ---------- helpers ----------

function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}
function fmtTime(ms) {
  if (!ms) return '';
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '').slice(0, 23) + ' UTC';
}
function fmtDuration(ms) {
  if (ms === undefined || ms === null || isNaN(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(2)} s`;
  const m = Math.floor(ms / 60000);
  if (m < 60) return `${m} min ${Math.round((ms % 60000) / 1000)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
function pretty(text) {
  if (text === undefined || text === null) return '';
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return String(text); }
}
function badge(status) { return `<span class="badge ${esc(status)}">${esc(status)}</span>`; }
function h(html) {
  const t = document.createElement('template');
  t.innerHTML = html.trim();
  return t.content.firstElementChild;
}

class AuthError extends Error {}

function authHeaders() { return token ? { Authorization: `Bearer ${token}` } : {}; }

async function api(path, params = {}, opts = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const url = `/console/api/${path}${q.toString() ? '?' + q : ''}`;
  const r = await fetch(url, { headers: authHeaders(), signal: opts.signal });
  if (r.status === 401) { showLogin('Your token was not accepted.'); throw new AuthError('unauthorized'); }
  const body = await r.text();
  if (!r.ok) {
    let msg = body;
    try { const j = JSON.parse(body); msg = `${j.__type}: ${j.message}`; } catch { /* plain text */ }
    throw new Error(msg);
  }
  return opts.raw ? body : JSON.parse(body);
}

// The AWS JSON 1.0 endpoint, for actions (start, stop, redrive). An action
// with a prefix (`Stepwise.SearchExecutions`) is sent as it is: Stepwise's
// extensions on the same endpoint.
async function aws(action, body) {
  const target = action.includes('.') ? action : `AWSStepFunctions.${action}`;
  const r = await fetch('/', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': target, ...authHeaders() },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  let j = {};
  try { j = JSON.parse(text); } catch { /* empty */ }
  if (!r.ok) {
    if (r.status === 401 || j.__type === 'UnrecognizedClientException' || j.__type === 'MissingAuthenticationTokenException') {
      showLogin('Your token was not accepted.');
      throw new AuthError(j.message || 'unauthorized');
    }
    throw new Error(`${j.__type || r.status}: ${j.message || text}`);
  }
  return j;
}

function showError(where, e) {
  if (e instanceof AuthError) return;
  where.innerHTML = `<p class="error">${esc(e.message || e)}</p>`;
}

// ---------- authentication ----------

const login = document.getElementById('login');
function showLogin(message) {
  main.innerHTML = '';
  for (const f of pageCleanup) f();
  pageCleanup = [];
  login.hidden = false;
  const err = document.getElementById('login-error');
  err.hidden = !message;
  err.textContent = message || '';
  document.getElementById('token').focus();
}
document.getElementById('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  token = document.getElementById('token').value.trim();
  const r = await fetch('/console/api/session', { headers: authHeaders() });
  if (r.status !== 200) {
    const err = document.getElementById('login-error');
    err.hidden = false;
    let why = '';
    try { why = (await r.json()).message || ''; } catch { /* not JSON */ }
    // The server's reason when it is more than "wrong token" (e.g. the
    // console needs --auth-tokens-file).
    err.textContent = why.includes('--auth-tokens-file') ? why : 'That token was not accepted.';
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  login.hidden = true;
  document.getElementById('logout').hidden = false;
  route();
});
document.getElementById('logout').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  token = '';
  document.getElementById('logout').hidden = true;
  showLogin('');
});

// ---------- virtual list ----------

// Draws only the visible rows of `rows` into `box` (a .vlist): big
// histories (25,000 events) and Map runs (1,000 iterations) stay fast.
function virtualList(box, rows, rowHeight, renderRow) {
  box.classList.add('vlist');
  box.innerHTML = '';
  const inner = document.createElement('div');
  inner.className = 'spacer-rows';
  box.appendChild(inner);
  let shown = new Map();
  const list = { rows };
  function draw() {
    inner.style.height = `${list.rows.length * rowHeight}px`;
    const first = Math.max(0, Math.floor(box.scrollTop / rowHeight) - 5);
    const last = Math.min(list.rows.length, first + Math.ceil((box.clientHeight || 600) / rowHeight) + 10);
    const next = new Map();
    for (let i = first; i < last; i++) {
      let el = shown.get(i);
      if (el) { shown.delete(i); } else {
        el = renderRow(list.rows[i], i);
        el.classList.add('vrow');
        el.style.top = `${i * rowHeight}px`;
        inner.appendChild(el);
      }
      next.set(i, el);
    }
    for (const el of shown.values()) el.remove();
    shown = next;
  }
  let pending = false;
  box.addEventListener('scroll', () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; draw(); });
  });
  list.update = (newRows, keepScroll = true) => {
    list.rows = newRows;
    for (const el of shown.values()) el.remove();
    shown = new Map();
    if (!keepScroll) box.scrollTop = 0;
    draw();
  };
  draw();
  return list;
}

// ---------- router ----------

function route() {
  for (const f of pageCleanup) f();
  pageCleanup = [];
  delete main.dataset.ready;
  delete main.dataset.interactiveMs;
  delete main.dataset.renderMs;
  const raw = location.hash.slice(1) || '/';
  // Pages with parameters: #/search?q=...&machine=... (ARNs hold slashes).
  if (raw === '/search' || raw.startsWith('/search?')) return searchPage(new URLSearchParams(raw.slice('/search?'.length)));
  const hash = decodeURIComponent(raw);
  const [, kind, ...rest] = hash.split('/');
  const arg = rest.join('/');
  if (kind === 'machine' && arg) return machinePage(arg);
  if (kind === 'execution' && arg) return executionPage(arg);
  if (kind === 'express' && arg) return expressExecutionPage(arg);
  if (kind === 'maprun' && arg) return mapRunPage(arg);
  if (kind === 'maprunchild' && arg) return mapRunChildPage(arg);
  if (kind === 'activities') return activitiesPage();
  if (kind === 'batch') return batchPage(arg);
  if (kind === 'cluster') return clusterPage();
  return machinesPage();
}
window.addEventListener('hashchange', () => { if (login.hidden) route(); });

async function start() {
  const r = await fetch('/console/api/session', { headers: authHeaders() });
  if (r.status === 401) {
    token = '';
    sessionStorage.removeItem(TOKEN_KEY);
    let why = '';
    try { why = (await r.json()).message || ''; } catch { /* not JSON */ }
    return showLogin(why.includes('--auth-tokens-file') ? why : '');
  }
  const s = await r.json();
  if (s.auth === 'token') document.getElementById('logout').hidden = false;
  clusterNavCheck();
  route();
}

// ---------- state machines ----------

async function machinesPage() {
  main.innerHTML = '<h1>State machines</h1><div id="machines"><p class="muted">Loading…</p></div>';
  const box = document.getElementById('machines');
  try {
    const { stateMachines } = await api('machines');
    if (!stateMachines.length) {
      box.innerHTML = '<p class="muted">No state machines yet. Create one with <code>stepwise machine create</code> or the AWS API.</p>';
      return;
    }
    const order = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];
    box.innerHTML = `<table id="machines-table"><thead><tr><th>Name</th><th>Type</th><th>Created</th><th>Executions</th></tr></thead><tbody>${
      stateMachines.map((m) => `<tr data-arn="${esc(m.stateMachineArn)}"><td><a href="#/machine/${encodeURIComponent(m.stateMachineArn)}">${esc(m.name)}</a></td><td>${esc(m.type)}</td><td>${fmtTime(m.creationDate)}</td><td class="counts">${
        order.filter((s) => m.executions[s]).map((s) => `${badge(s)}<span class="count" data-status="${s}">${m.executions[s]}</span> `).join('') || '<span class="muted">none</span>'
      }${m.countCapped ? ` <span class="muted">(first ${m.executionsCounted})</span>` : ''}</td></tr>`).join('')
    }</tbody></table>`;
  } catch (e) { showError(box, e); }
}

async function machinePage(arn) {
  main.innerHTML = '<p class="muted">Loading…</p>';
  let m;
  try { m = await api('machine', { arn }); } catch (e) { return showError(main, e); }
  main.innerHTML = `
    <p><a href="#/">State machines</a> / ${esc(m.name)}</p>
    <h1>${esc(m.name)} <span class="muted" style="font-size:13px">${esc(m.type)} · revision ${m.revision}</span></h1>
    <p id="tags">${(m.tags || []).length
      ? m.tags.map((t) => `<span class="tag"><b>${esc(t.key)}</b>${t.value ? ` ${esc(t.value)}` : ''}</span>`).join(' ')
      : '<span class="muted">no tags</span>'}</p>
    <div class="split">
      <div class="graph" id="graph">${m.graph.svg}</div>
      <pre class="json" id="definition">${esc(pretty(m.definition))}</pre>
    </div>
    ${versionsSectionHtml(m)}
    <h2>Start an execution</h2>
    <div class="card editor">
      <div class="filters">
        <label>Name (optional)<input id="start-name" placeholder="generated when empty"></label>
      </div>
      <textarea id="start-input" spellcheck="false">{}</textarea>
      <p id="input-error" class="error" hidden></p>
      <button id="start-button" class="primary">Start execution</button>
      <span id="start-result" class="muted"></span>
    </div>
    <h2>Executions</h2>
    <div class="filters">
      <label>Status<select id="f-status"><option value="">any</option>${
        ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'].map((s) => `<option>${s}</option>`).join('')}</select></label>
      <label>Name starts with<input id="f-prefix"></label>
      <label>Started from (UTC)<input id="f-from" type="datetime-local" step="1"></label>
      <label>Started before (UTC)<input id="f-to" type="datetime-local" step="1"></label>
      <button id="f-apply">Apply</button>
    </div>
    <div id="executions"></div>
    <div class="pager"><button id="prev-page" disabled>Newer</button><button id="next-page" disabled>Older</button><span id="page-info" class="muted"></span></div>
    ${m.type === 'EXPRESS' ? `<h2>Recent Express executions</h2>
    <p class="muted">Closed Express executions kept in memory (the server keeps the newest 200); their events as this machine's loggingConfiguration logs them.</p>
    <div id="express-executions"></div>` : ''}`;
  paintDefinitionOnly();
  if (m.type === 'EXPRESS') loadRecentExpress(m.stateMachineArn);

  const input = document.getElementById('start-input');
  const startButton = document.getElementById('start-button');
  const inputError = document.getElementById('input-error');
  function validate() {
    const text = input.value;
    let problem = '';
    try { JSON.parse(text); } catch (e) { problem = `Input is not valid JSON: ${e.message}`; }
    if (!problem && new Blob([text]).size > 262144) problem = 'Input is larger than 256 KiB.';
    input.classList.toggle('invalid', !!problem);
    inputError.hidden = !problem;
    inputError.textContent = problem;
    startButton.disabled = !!problem;
    return !problem;
  }
  input.addEventListener('input', validate);
  startButton.addEventListener('click', async () => {
    if (!validate()) return;
    startButton.disabled = true;
    const name = document.getElementById('start-name').value.trim();
    try {
      const r = await aws('StartExecution', { stateMachineArn: m.stateMachineArn, input: input.value, ...(name ? { name } : {}) });
      location.hash = `#/execution/${encodeURIComponent(r.executionArn)}`;
    } catch (e) {
      inputError.hidden = false;
      inputError.textContent = e.message;
      startButton.disabled = false;
    }
  });

  const cursors = [''];
  let page = 0;
  const box = document.getElementById('executions');
  async function load() {
    const toMs = (id) => { const v = document.getElementById(id).value; return v ? Date.parse(`${v}Z`) : ''; };
    box.innerHTML = '<p class="muted">Loading…</p>';
    try {
      const r = await api('executions', {
        machine: m.stateMachineArn, status: document.getElementById('f-status').value,
        prefix: document.getElementById('f-prefix').value, from: toMs('f-from'), to: toMs('f-to'),
        cursor: cursors[page], limit: 25,
      });
      cursors[page + 1] = r.cursor || null;
      document.getElementById('prev-page').disabled = page === 0;
      document.getElementById('next-page').disabled = !r.cursor;
      document.getElementById('page-info').textContent = `page ${page + 1}`;
      if (!r.executions.length) { box.innerHTML = '<p class="muted" id="no-executions">No executions match.</p>'; return; }
      box.innerHTML = `<table id="executions-table"><thead><tr><th>Name</th><th>Status</th><th>Started</th><th>Duration</th><th>Version</th></tr></thead><tbody>${
        r.executions.map((e) => `<tr class="execution-row" data-name="${esc(e.name)}"><td><a href="#/execution/${encodeURIComponent(e.executionArn)}">${esc(e.name)}</a></td><td>${badge(e.status)}</td><td>${fmtTime(e.startDate)}</td><td>${e.stopDate ? fmtDuration(e.stopDate - e.startDate) : ''}</td><td class="version">${esc(versionLabel(e))}</td></tr>`).join('')
      }</tbody></table>`;
    } catch (e) { showError(box, e); }
  }
  document.getElementById('f-apply').addEventListener('click', () => { page = 0; cursors.length = 1; load(); });
  document.getElementById('f-prefix').addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { page = 0; cursors.length = 1; load(); } });
  document.getElementById('next-page').addEventListener('click', () => { page++; load(); });
  document.getElementById('prev-page').addEventListener('click', () => { if (page > 0) { page--; load(); } });
  load();
}

// ---------- recent Express executions (kept in memory by the log writer) ----------

async function loadRecentExpress(machineArn) {
  const box = document.getElementById('express-executions');
  try {
    const { executions } = await api('express', { machine: machineArn });
    if (!executions.length) { box.innerHTML = '<p class="muted" id="no-express">None closed since the server started.</p>'; return; }
    box.innerHTML = `<table id="express-table"><thead><tr><th>Name</th><th>Status</th><th>Started</th><th>Duration</th><th>Logged events</th></tr></thead><tbody>${
      executions.map((e) => `<tr class="express-row" data-name="${esc(e.name)}"><td><a href="#/express/${encodeURIComponent(e.executionArn)}">${esc(e.name)}</a></td><td>${badge(e.status)}</td><td>${fmtTime(e.startDate)}</td><td>${e.stopDate ? fmtDuration(e.stopDate - e.startDate) : ''}</td><td>${e.loggedEvents} <span class="muted">(${esc(e.loggingLevel)})</span></td></tr>`).join('')
    }</tbody></table>`;
  } catch (e) { showError(box, e); }
}

async function expressExecutionPage(arn) {
  main.innerHTML = '<p class="muted">Loading…</p>';
  let x;
  try { x = await api('express', { arn }); } catch (e) { return showError(main, e); }
  main.innerHTML = `
    <p><a href="#/">State machines</a> / <a href="#/machine/${encodeURIComponent(x.stateMachineArn)}">${esc(x.stateMachineArn.split(':').pop())}</a> / ${esc(x.name)}</p>
    <h1>${esc(x.name)} ${badge(x.status)}</h1>
    <p class="muted">Express execution · started ${fmtTime(x.startDate)}${x.stopDate ? ` · ${fmtDuration(x.stopDate - x.startDate)}` : ''} · logging level ${esc(x.loggingLevel)}</p>
    ${x.error ? `<p class="error">${esc(x.error)}${x.cause ? `: ${esc(x.cause)}` : ''}</p>` : ''}
    <h2>Logged events</h2>
    ${x.events.length ? `<table id="express-events"><thead><tr><th>Id</th><th>Type</th><th>Time</th><th>Details</th></tr></thead><tbody>${
      x.events.map((e) => `<tr class="express-event" data-type="${esc(e.type)}"><td>${esc(e.id)}</td><td>${esc(e.type)}</td><td>${fmtTime(Number(e.event_timestamp))}</td><td><pre class="json">${esc(JSON.stringify(e.details || {}, null, 2))}</pre></td></tr>`).join('')
    }</tbody></table>` : '<p class="muted" id="no-express-events">None: the machine\'s loggingConfiguration level was OFF (or kept none of its events).</p>'}`;
  main.dataset.ready = '1';
}

function paintDefinitionOnly() {
  for (const g of document.querySelectorAll('#graph g.sw-state')) g.classList.add('plain');
}

// ---------- execution analysis ----------

const ERROR_EVENT = /(Failed|TimedOut|Aborted)$/;
function details(e) {
  for (const [k, v] of Object.entries(e)) if (k.endsWith('EventDetails')) return v;
  return {};
}

// Parent and child executions (states:startExecution): a Task event's
// output carries the child's ExecutionArn; a child's input carries its
// parent's ARN under AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.
const EXECUTION_ARN = /^arn:[^:]+:states:[^:]*:[^:]*:(execution|express):[^:]+:[^:]+$/;
function jsonObject(text) {
  if (typeof text !== 'string') return null;
  try { const v = JSON.parse(text); return v && typeof v === 'object' && !Array.isArray(v) ? v : null; } catch { return null; }
}
function childArnOf(e) {
  if (e.type !== 'TaskSubmitted' && e.type !== 'TaskSucceeded') return null;
  const o = jsonObject(details(e).output);
  return o && typeof o.ExecutionArn === 'string' && EXECUTION_ARN.test(o.ExecutionArn) ? o.ExecutionArn : null;
}
function startedByOf(input) {
  const o = jsonObject(input);
  const v = o && o.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID;
  return typeof v === 'string' && EXECUTION_ARN.test(v) ? v : null;
}
function executionLink(arn, attrs = '') {
  return `<a ${attrs} class="execution-link" href="#/execution/${encodeURIComponent(arn)}">${esc(arn)}</a>`;
}

// Turns the history into state runs (one per StateEntered), each with its
// outcome: succeeded, failed, caught (an error handled by Catch) or running,
// plus retries, timings, input/output and error/cause; and the Map
// iterations. Iterations may interleave (a Wait inside a Map parks each of
// them), so an event's scope (the iteration it belongs to) and its run come
// from its previousEventId chain, as the engine links them.
function analyze(events, execution, definition) {
  const runs = [];
  const iterations = {};   // Map state name → [{index, status, key, start, end}]
  const scopes = new Map([['', { key: '', open: [], parent: '' }]]);
  const scopeOf = new Map();   // event id → scope key
  const runOf = new Map();     // event id → run
  const typeOf = new Map();    // event id → type
  const mapParent = {};        // Map state name → scope its MapStateStarted ran in
  let execError = null;
  const stateDefs = {};
  (function collect(states) {
    for (const [name, s] of Object.entries(states || {})) {
      stateDefs[name] = s;
      for (const b of s.Branches || []) collect(b.States);
      if (s.ItemProcessor) collect(s.ItemProcessor.States);
      if (s.Iterator) collect(s.Iterator.States);
    }
  })(definition.States);
  const ITERATION_END = /^MapIteration(Succeeded|Failed|Aborted)$/;
  const isOpen = (r) => r && !r.end && (r.status === 'running');
  for (const e of events) {
    const t = e.type;
    const d = details(e);
    const ts = Math.round(e.timestamp * 1000);
    const prev = e.previousEventId || 0;
    typeOf.set(e.id, t);
    let key;
    if (t === 'MapIterationStarted' || ITERATION_END.test(t)) {
      const parent = mapParent[d.name] ?? '';
      key = `${parent ? parent + '/' : ''}${d.name}#${d.index}`;
      if (!scopes.has(key)) scopes.set(key, { key, open: [], parent });
    } else if (t.startsWith('Execution')) {
      // The execution's own events (ExecutionFailed after a failed
      // iteration, ExecutionRedriven) are at the top, whatever precedes them.
      key = '';
    } else {
      const pk = scopeOf.get(prev) ?? '';
      key = ITERATION_END.test(typeOf.get(prev) || '') ? scopes.get(pk).parent : pk;
    }
    scopeOf.set(e.id, key);
    const scope = scopes.get(key);
    if (t === 'MapIterationStarted') {
      const it = { map: d.name, index: d.index, status: 'running', key, start: ts, end: null };
      const list = (iterations[d.name] = iterations[d.name] || []);
      // A redrive reruns only the failed iterations: the rerun takes the
      // place of the failed one.
      const again = list.findIndex((x) => x.beforeRedrive && x.index === d.index && x.key === key);
      if (again >= 0) list[again] = it; else list.push(it);
      scope.iteration = it;
      continue;
    }
    if (ITERATION_END.test(t)) {
      if (scope.iteration) {
        scope.iteration.status = t === 'MapIterationSucceeded' ? 'succeeded' : 'failed';
        scope.iteration.end = ts;
      }
      for (const r of scope.open) { if (r.status === 'running') { r.status = 'failed'; r.end = ts; } }
      scope.open = [];
      continue;
    }
    if (t === 'MapStateStarted') mapParent[(runOf.get(prev) || {}).name || ''] = key;
    if (t.endsWith('StateEntered')) {
      const run = { name: d.name, type: t.slice(0, -'StateEntered'.length), scope: key, enteredId: e.id, lastId: e.id,
        start: ts, end: null, input: d.input, output: undefined, status: 'running', retries: 0, error: undefined, cause: undefined, errorSeen: false, pendingError: false };
      if (run.type === 'Fail') {
        const sd = stateDefs[d.name] || {};
        run.status = 'failed'; run.end = ts; run.error = sd.Error; run.cause = sd.Cause;
      } else {
        scope.open.push(run);
      }
      runs.push(run);
      runOf.set(e.id, run);
      continue;
    }
    if (t.endsWith('StateExited')) {
      const i = scope.open.findLastIndex((r) => r.name === d.name);
      if (i >= 0) {
        const run = scope.open[i];
        scope.open.splice(i, 1);
        run.end = ts; run.output = d.output; run.lastId = e.id;
        run.status = run.pendingError ? 'caught' : 'succeeded';
        runOf.set(e.id, run);
      }
      continue;
    }
    if (t.startsWith('Execution')) {
      if (ERROR_EVENT.test(t)) execError = { error: d.error, cause: d.cause, ts };
      if (t === 'ExecutionRedriven') {
        // The runs the failure left open failed then; the rerun starts
        // afresh, and what ran before no longer decides a state's colour.
        for (const s of scopes.values()) {
          for (const r of s.open) {
            r.status = 'failed';
            r.end = r.end || r.errorAt || (execError && execError.ts) || ts;
            if (!r.error && execError) { r.error = execError.error; r.cause = execError.cause; }
          }
          s.open = [];
        }
        for (const r of runs) r.beforeRedrive = true;
        for (const list of Object.values(iterations)) for (const it of list) it.beforeRedrive = true;
        execError = null;
      }
      continue;
    }
    // Parallel*/MapState* events belong to the open Parallel/Map run; task
    // and activity events to the run their previous event belongs to.
    let run;
    if (/^(Parallel|MapState)/.test(t)) {
      const want = t.startsWith('Parallel') ? 'Parallel' : 'Map';
      run = scope.open.findLast((r) => r.type === want);
    } else {
      run = runOf.get(prev);
      if (!isOpen(run) || run.type === 'Parallel' || run.type === 'Map') {
        run = scope.open.findLast((r) => r.type !== 'Parallel' && r.type !== 'Map') || scope.open[scope.open.length - 1];
      }
    }
    if (!run) continue;
    runOf.set(e.id, run);
    run.lastId = e.id;
    const child = childArnOf(e);
    if (child) run.childArn = child;
    if (ERROR_EVENT.test(t)) {
      run.pendingError = true;
      run.errorSeen = true;
      if (d.error !== undefined) run.error = d.error;
      if (d.cause !== undefined) run.cause = d.cause;
      run.errorAt = ts;
    } else if (/Scheduled$/.test(t) && run.pendingError) {
      run.retries++;
      run.pendingError = false;
    }
  }
  const running = execution.status === 'RUNNING';
  for (const s of scopes.values()) {
    for (const r of s.open) {
      if (running && !r.pendingError) continue;
      r.status = 'failed';
      r.end = r.end || r.errorAt || (execError && execError.ts) || execution.stopDate || null;
      if (!r.error && execError) { r.error = execError.error; r.cause = execError.cause; }
    }
  }
  const byState = {};
  for (const r of runs) (byState[r.name] = byState[r.name] || []).push(r);
  const outcome = {};
  for (const [name, all] of Object.entries(byState)) {
    // After a redrive, a state that ran again is coloured by its new runs.
    const fresh = all.filter((r) => !r.beforeRedrive);
    const list = fresh.length ? fresh : all;
    const has = (x) => list.some((r) => r.status === x);
    outcome[name] = has('running') ? 'running' : has('failed') ? 'failed' : has('caught') ? 'caught' : 'succeeded';
  }
  return { runs, byState, outcome, iterations, execError, stateDefs, scopeOf };
}

// Parallel branches of the definition: state name → [{index, names}].
function parallelBranches(definition) {
  const out = {};
  (function walk(states) {
    for (const [name, s] of Object.entries(states || {})) {
      if (s.Type === 'Parallel') {
        out[name] = (s.Branches || []).map((b, i) => {
          const names = [];
          (function all(st) { for (const [n, x] of Object.entries(st || {})) { names.push(n); for (const bb of x.Branches || []) all(bb.States); if (x.ItemProcessor) all(x.ItemProcessor.States); if (x.Iterator) all(x.Iterator.States); } })(b.States);
          return { index: i, names };
        });
        for (const b of s.Branches || []) walk(b.States);
      }
      if (s.ItemProcessor) walk(s.ItemProcessor.States);
      if (s.Iterator) walk(s.Iterator.States);
    }
  })(definition.States);
  return out;
}

// ---------- execution page ----------

async function executionPage(arn) {
  main.innerHTML = '<p class="muted">Loading…</p>';
  const abort = new AbortController();
  let closed = false;
  pageCleanup.push(() => { closed = true; abort.abort(); });
  let info;
  try { info = await api('execution', { arn }); } catch (e) { return showError(main, e); }
  if (closed) return;
  let exec = info.execution;
  let openTasks = info.openTasks || [];
  const definition = JSON.parse(info.machine.definition);
  const branches = parallelBranches(definition);
  const t0 = performance.now();

  main.innerHTML = `
    <p><a href="#/">State machines</a> / <a href="#/machine/${encodeURIComponent(info.machine.stateMachineArn)}">${esc(info.machine.name)}</a> / ${esc(exec.name)}</p>
    <h1>${esc(exec.name)} <span id="exec-status">${badge(exec.status)}</span> <button id="stop-button" class="danger" ${exec.status === 'RUNNING' ? '' : 'hidden'}>Stop</button> <button id="redrive-button" hidden>Redrive</button></h1>
    <p id="action-error" class="error" hidden></p>
    <dl class="kv" id="exec-summary"></dl>
    <div class="tabs"><button data-tab="graph" class="active">Graph</button><button data-tab="events">Events</button><button data-tab="timeline">Timeline</button><span class="spacer"></span><span id="load-info" class="muted" style="align-self:center"></span></div>
    <div id="scopebar" class="scopebar" hidden></div>
    <section id="tab-graph">
      <div class="legend"><span class="l-succeeded">succeeded</span><span class="l-failed">failed</span><span class="l-caught">caught</span><span class="l-running">running</span><span class="l-notreached">not reached</span></div>
      <div class="split">
        <div class="graph" id="graph">${info.graph.svg}</div>
        <div class="card detail-panel" id="state-detail"><p class="muted">Click a state to see its input, output, error, retries and timings.</p></div>
      </div>
    </section>
    <section id="tab-events" hidden>
      <div class="filters"><label>Type<select id="event-type"><option value="">all types</option></select></label>
        <label>State<input id="event-state" placeholder="state name"></label><span id="event-count" class="muted"></span></div>
      <div class="vrow head events-head" style="position:static;display:grid;grid-template-columns:70px 220px 200px 110px 1fr"><span>ID</span><span>Type</span><span>State</span><span>Time</span><span>Details</span></div>
      <div id="events" class="events"></div>
      <div id="event-detail" class="card" hidden></div>
    </section>
    <section id="tab-timeline" hidden>
      <div class="vrow head" style="position:static;display:grid;grid-template-columns:260px 1fr 90px"><span>State</span><span>Start → end</span><span>Duration</span></div>
      <div id="timeline" class="timeline"></div>
    </section>`;

  for (const b of main.querySelectorAll('.tabs button[data-tab]')) {
    b.addEventListener('click', () => {
      for (const x of main.querySelectorAll('.tabs button[data-tab]')) x.classList.toggle('active', x === b);
      for (const t of ['graph', 'events', 'timeline']) document.getElementById(`tab-${t}`).hidden = t !== b.dataset.tab;
      drawLists();
    });
  }
  wireRedriveButton(document.getElementById('redrive-button'), arn, (e) => {
    const err = document.getElementById('action-error');
    err.hidden = false;
    err.textContent = e.message;
  });
  document.getElementById('stop-button').addEventListener('click', async () => {
    try {
      await aws('StopExecution', { executionArn: arn, error: 'Console.Stopped', cause: 'stopped from the web console' });
    } catch (e) { alert(e.message); }
  });

  // Id → state name, for clicks on the graph.
  const idToName = {};
  for (const [name, ids] of Object.entries(info.graph.states)) for (const id of ids) idToName[id] = name;
  let selected = null;
  let scopeFilter = null;  // {label, test(event) / runTest(run)}
  for (const g of document.querySelectorAll('#graph g.sw-state')) {
    g.addEventListener('click', () => { selected = idToName[g.id]; paint(); showState(selected); });
  }

  // ---- history: the watch stream's first answer carries every stored
  // event at once (one request, even for 25,000 events); later answers
  // carry what each commit adds ----
  const events = [];
  const loadInfo = document.getElementById('load-info');
  loadInfo.textContent = 'reading the history…';
  // Reads one batch after the last event held: {ended} once the execution
  // has closed, {more} when the answer stopped at its size limit.
  async function readBatch() {
    const after = events.length ? events[events.length - 1].id : 0;
    const text = await api('watch', { arn, after }, { signal: abort.signal, raw: true });
    const r = { ended: false, more: false };
    for (const block of text.split('\n\n')) {
      let type = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) type = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (type === 'end') r.ended = true;
      if (type === 'more') r.more = true;
      if (type === 'message' && data) {
        const e = JSON.parse(data);
        if (!events.length || e.id > events[events.length - 1].id) events.push(e);
      }
    }
    return r;
  }
  try {
    let r;
    do {
      r = await readBatch();
      if (closed) return;
      loadInfo.textContent = `${events.length} events…`;
    } while (r.more);
    if (r.ended && exec.status === 'RUNNING') exec = (await api('execution', { arn })).execution;
  } catch (e) { if (!closed) showError(main, e); return; }
  if (closed) return;

  let model;
  const summary = document.getElementById('exec-summary');
  function renderSummary() {
    document.getElementById('exec-status').innerHTML = badge(exec.status);
    document.getElementById('stop-button').hidden = exec.status !== 'RUNNING';
    updateRedriveButton(document.getElementById('redrive-button'), exec);
    const end = exec.stopDate || Date.now();
    const parent = startedByOf(exec.input);
    const children = [...new Set(events.map(childArnOf).filter(Boolean))];
    const waiting = exec.status === 'RUNNING' ? openTasks.map((t) => t.waitingFor).filter(Boolean) : [];
    summary.innerHTML = `<dt>ARN</dt><dd class="mono">${esc(exec.executionArn)}</dd>
      ${parent ? `<dt>Started by</dt><dd class="mono" id="started-by">started by ${executionLink(parent)}</dd>` : ''}
      ${children.length ? `<dt>Child executions</dt><dd class="mono" id="children">${children.map((c) => executionLink(c)).join('<br>')}</dd>` : ''}
      ${mapRunLinksHtml(events)}
      ${waiting.length ? `<dt>Waiting</dt><dd class="waiting-note" id="exec-waiting">${waiting.map(esc).join('<br>')}</dd>` : ''}
      <dt>Started</dt><dd>${fmtTime(exec.startDate)}</dd>
      <dt>Duration</dt><dd>${fmtDuration(end - exec.startDate)}${exec.stopDate ? '' : ' (running)'}</dd>
      ${exec.error ? `<dt>Error</dt><dd class="error">${esc(exec.error)}</dd><dt>Cause</dt><dd class="error">${esc(exec.cause || '')}</dd>` : ''}
      ${redriveSummaryHtml(exec)}
      ${restartLinksHtml(events)}`;
    loadInfo.textContent = `${events.length} events`;
  }

  function paint() {
    for (const g of document.querySelectorAll('#graph g.sw-state')) {
      const name = idToName[g.id];
      g.classList.remove('succeeded', 'failed', 'caught', 'running', 'notreached', 'selected');
      g.classList.add(model.outcome[name] || 'notreached');
      if (name === selected) g.classList.add('selected');
      g.dataset.outcome = model.outcome[name] || 'notreached';
      g.dataset.state = name;
    }
  }

  function showState(name) {
    const panel = document.getElementById('state-detail');
    const runs = model.byState[name] || [];
    const type = info.graph.types[name] || '';
    if (!runs.length) {
      panel.innerHTML = `<h2 id="detail-name">${esc(name)}</h2><p class="muted">${esc(type)} · not reached</p>`;
      return;
    }
    // The last run that failed, else the last one.
    // After a redrive, the runs since then (the ones before are history).
    const recent = runs.some((r) => !r.beforeRedrive) ? runs.filter((r) => !r.beforeRedrive) : runs;
    const run = recent.findLast((r) => r.status === 'failed') || recent[recent.length - 1];
    let extra = '';
    if (type === 'Map' && model.iterations[name]) {
      const its = model.iterations[name];
      const counts = {};
      for (const it of its) counts[it.status] = (counts[it.status] || 0) + 1;
      extra = `<h2>Iterations (${its.length})</h2><p class="muted">${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ')}</p>
        <div class="iterations" id="iterations"></div>`;
    }
    if (type === 'Parallel' && branches[name]) {
      extra = `<h2>Branches</h2><div>${branches[name].map((b) => {
        const st = b.names.flatMap((n) => model.byState[n] || []);
        const status = st.some((r) => r.status === 'running') ? 'running' : st.some((r) => r.status === 'failed') ? 'failed' : st.length ? 'succeeded' : '';
        return `<span class="chip branch-chip ${status}" data-branch="${b.index}">Branch ${b.index + 1}: ${esc(b.names[0] || '')}</span>`;
      }).join('')}</div>`;
    }
    panel.innerHTML = `<h2 id="detail-name">${esc(name)}</h2>
      <p>${esc(type)} · <span id="detail-status" class="badge ${({ succeeded: 'SUCCEEDED', running: 'RUNNING', caught: 'CAUGHT' })[run.status] || 'FAILED'}">${esc(run.status)}</span>
      ${runs.length > 1 ? ` · entered ${runs.length} times` : ''}</p>
      <dl class="kv">
        <dt>Started</dt><dd>${fmtTime(run.start)}</dd>
        <dt>Duration</dt><dd>${run.end ? fmtDuration(run.end - run.start) : 'running'}</dd>
        <dt>Retries</dt><dd id="detail-retries">${run.retries}</dd>
        ${run.childArn ? `<dt>Child execution</dt><dd class="mono">${executionLink(run.childArn, 'id="detail-child"')}</dd>` : ''}
        ${run.error !== undefined ? `<dt>Error</dt><dd class="error" id="detail-error">${esc(run.error)}</dd>` : ''}
        ${run.cause !== undefined ? `<dt>Cause</dt><dd class="error" id="detail-cause">${esc(run.cause)}</dd>` : ''}
      </dl>
      ${restartApplies(exec, info.machine.type, run, definition) ? restartPanelHtml(run) : ''}
      ${extra}
      <h2>Input</h2><pre class="payload" id="detail-input">${esc(pretty(run.input))}</pre>
      ${run.output !== undefined ? `<h2>Output</h2><pre class="payload" id="detail-output">${esc(pretty(run.output))}</pre>` : ''}`;
    if (restartApplies(exec, info.machine.type, run, definition)) wireRestartPanel(arn, run);
    if (type === 'Map' && model.iterations[name]) {
      const its = model.iterations[name];
      const box = document.getElementById('iterations');
      // Chips for up to 1,000 iterations, drawn in one go (cheap inline spans).
      box.innerHTML = its.map((it, i) => `<span class="chip iteration-chip ${it.status}" data-i="${i}" title="iteration ${it.index}: ${it.status}">${it.index}</span>`).join('');
      box.addEventListener('click', (ev) => {
        const c = ev.target.closest('.iteration-chip');
        if (!c) return;
        const it = its[Number(c.dataset.i)];
        setScope({ label: `${name} iteration ${it.index}`, test: (e) => model.scopeOf.get(e.id) === it.key, runTest: (r) => r.scope === it.key });
      });
    }
    for (const c of panel.querySelectorAll('.branch-chip')) {
      c.addEventListener('click', () => {
        const b = branches[name][Number(c.dataset.branch)];
        const names = new Set(b.names);
        setScope({ label: `${name} branch ${b.index + 1}`, test: (e) => names.has(details(e).name), runTest: (r) => names.has(r.name) });
      });
    }
  }

  function setScope(s) {
    scopeFilter = s;
    const bar = document.getElementById('scopebar');
    bar.hidden = !s;
    if (s) {
      bar.innerHTML = `Showing <b id="scope-label">${esc(s.label)}</b> in Events and Timeline · <a href="#" id="scope-clear">show everything</a>`;
      document.getElementById('scope-clear').addEventListener('click', (ev) => { ev.preventDefault(); setScope(null); });
    }
    // Switch to the events tab so the drill-down is visible.
    main.querySelector('.tabs button[data-tab="events"]').click();
  }

  // ---- events table ----
  const typeSelect = document.getElementById('event-type');
  const stateInput = document.getElementById('event-state');
  const knownTypes = new Set();
  const startMs = exec.startDate;
  function eventRow(e) {
    const d = details(e);
    const el = document.createElement('div');
    const err = ERROR_EVENT.test(e.type);
    if (err) el.classList.add('err');
    const summaryText = d.error !== undefined ? `${d.error}: ${d.cause || ''}` : d.output !== undefined ? d.output : d.input !== undefined ? d.input : d.index !== undefined ? `index ${d.index}` : '';
    const child = childArnOf(e);
    const summaryHtml = child ? `child ${executionLink(child)}` : esc(String(summaryText).slice(0, 200));
    el.innerHTML = `<span>${e.id}</span><span>${esc(e.type)}</span><span>${esc(d.name || '')}</span><span>+${fmtDuration(Math.round(e.timestamp * 1000) - startMs)}</span><span class="mono">${summaryHtml}</span>`;
    el.dataset.id = e.id;
    el.addEventListener('click', () => {
      const box = document.getElementById('event-detail');
      box.hidden = false;
      const dd = { ...d };
      for (const k of ['input', 'output', 'parameters']) if (typeof dd[k] === 'string') { try { dd[k] = JSON.parse(dd[k]); } catch { /* keep */ } }
      box.innerHTML = `<h2>Event ${e.id} · ${esc(e.type)}</h2>${child ? `<p>Child execution: ${executionLink(child, 'id="event-child"')}</p>` : ''}<pre class="payload" id="event-payload">${esc(JSON.stringify({ ...e, ...(Object.keys(d).length ? { details: dd } : {}) }, null, 2))}</pre>`;
    });
    return el;
  }
  let eventList = null;
  let timelineList = null;
  function filteredEvents() {
    const type = typeSelect.value;
    const st = stateInput.value.trim();
    return events.filter((e) => (!type || e.type === type) && (!st || (details(e).name || '') === st) && (!scopeFilter || scopeFilter.test(e)));
  }
  function timelineRow(r) {
    const el = document.createElement('div');
    const endAll = exec.stopDate || Date.now();
    const span = Math.max(1, endAll - exec.startDate);
    const left = ((r.start - exec.startDate) / span) * 100;
    const width = (((r.end || endAll) - r.start) / span) * 100;
    el.innerHTML = `<span title="${esc(r.scope)}">${esc(r.name)}${r.scope ? ` <span class="muted">${esc(r.scope)}</span>` : ''}</span>
      <span class="bar-track"><span class="bar ${r.status}" style="left:${left.toFixed(3)}%;width:${Math.max(width, 0.2).toFixed(3)}%"></span></span>
      <span>${r.end ? fmtDuration(r.end - r.start) : 'running'}</span>`;
    el.addEventListener('click', () => { selected = r.name; paint(); showState(r.name); main.querySelector('.tabs button[data-tab="graph"]').click(); });
    return el;
  }
  function drawLists() {
    if (!document.getElementById('tab-events').hidden) {
      const rows = filteredEvents();
      document.getElementById('event-count').textContent = `${rows.length} of ${events.length} events`;
      if (!eventList) eventList = virtualList(document.getElementById('events'), rows, 30, eventRow);
      else eventList.update(rows);
    }
    if (!document.getElementById('tab-timeline').hidden) {
      const rows = model.runs.filter((r) => !scopeFilter || scopeFilter.runTest(r)).slice().sort((a, b) => a.start - b.start);
      if (!timelineList) timelineList = virtualList(document.getElementById('timeline'), rows, 30, timelineRow);
      else timelineList.update(rows);
    }
  }
  typeSelect.addEventListener('change', () => drawLists());
  stateInput.addEventListener('input', () => drawLists());
  function refreshTypes() {
    let added = false;
    for (const e of events) if (!knownTypes.has(e.type)) { knownTypes.add(e.type); added = true; }
    if (!added) return;
    const current = typeSelect.value;
    typeSelect.innerHTML = '<option value="">all types</option>' + [...knownTypes].sort().map((t) => `<option>${esc(t)}</option>`).join('');
    typeSelect.value = current;
  }

  function update() {
    model = analyze(events, exec, definition);
    renderSummary();
    paint();
    refreshTypes();
    drawLists();
    if (selected) showState(selected);
  }
  // The one long task of the page (analysis + first draw): what could freeze it.
  const r0 = performance.now();
  update();
  main.dataset.renderMs = String(Math.round(performance.now() - r0));
  main.dataset.interactiveMs = String(Math.round(performance.now() - t0));
  main.dataset.ready = '1';

  // ---- live: server-sent events fed by the engine's watch ----
  async function follow() {
    let backoff = 0;
    while (!closed && exec.status === 'RUNNING') {
      let ended;
      try {
        ended = (await readBatch()).ended;
        backoff = 0;
      } catch (e) {
        if (closed || e instanceof AuthError) return;
        backoff = Math.min(5000, backoff + 1000);
        await new Promise((r) => setTimeout(r, backoff));
        continue;
      }
      if (ended) {
        try { exec = (await api('execution', { arn })).execution; } catch { /* keep the last known */ }
      }
      if (!closed) update();
    }
  }
  if (exec.status === 'RUNNING') follow();

  // ---- open tasks: whether a worker polls their queue ("waiting for a
  // worker of function NAME"), asked again while the execution runs ----
  async function refreshTasks() {
    if (closed || exec.status !== 'RUNNING') return;
    try {
      openTasks = (await api('tasks', { arn }, { signal: abort.signal })).openTasks;
    } catch { return; }
    if (!closed) renderSummary();
  }
  if (exec.status === 'RUNNING') {
    const timer = setInterval(() => { if (exec.status !== 'RUNNING') clearInterval(timer); else refreshTasks(); }, 2000);
    pageCleanup.push(() => clearInterval(timer));
  }
}

// ---------- activities ----------

async function activitiesPage() {
  main.innerHTML = '<h1>Activities</h1><div id="activities"><p class="muted">Loading…</p></div><p><button id="refresh">Refresh</button></p>';
  const box = document.getElementById('activities');
  async function load() {
    try {
      const { activities, functions = [] } = await api('activities');
      box.innerHTML = (activities.length ? `<table id="activities-table"><thead><tr><th>Name</th><th>ARN</th><th>Created</th><th>Waiting tasks</th><th>Polling workers</th></tr></thead><tbody>${
        activities.map((a) => `<tr data-name="${esc(a.name)}"><td>${esc(a.name)}</td><td class="mono">${esc(a.activityArn)}</td><td>${fmtTime(a.creationDate)}</td><td class="waiting">${a.waitingTasks}</td><td class="pollers">${a.pollingWorkers}</td></tr>`).join('')
      }</tbody></table>` : '<p class="muted">No activities.</p>') + (functions.length ? `<h2>Function queues</h2><table id="functions-table"><thead><tr><th>Function</th><th>Waiting tasks</th><th>Polling workers</th></tr></thead><tbody>${
        functions.map((f) => `<tr data-name="${esc(f.functionName)}"><td>${esc(f.functionName)}</td><td class="waiting">${f.waitingTasks}</td><td class="pollers">${f.pollingWorkers}</td></tr>`).join('')
      }</tbody></table>` : '');
    } catch (e) { showError(box, e); }
  }
  document.getElementById('refresh').addEventListener('click', load);
  load();
}

start().catch((e) => { main.innerHTML = `<p class="error">Cannot reach stepwised: ${esc(e.message)}</p>`; });
