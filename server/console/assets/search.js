// Stepwise web console, the search page (#/search?q=...): executions of
// every state machine (or one) that match a query in the `--where`
// language (Stepwise.SearchExecutions, counted by
// Stepwise.CountExecutions), the machines' indexed fields as columns, the
// query's error inline, and "Stop all N matching" / "Redrive all N
// matching", which start a batch job (Stepwise.StartBatchOperation) and
// open the batch jobs page. Loaded before app.js, whose helpers (api, aws,
// esc, badge, fmtTime, main) it calls at run time; defines functions only.
'use strict';

// AWS JSON dates are epoch seconds; the console's helpers take ms.
function awsDateMs(v) { return typeof v === 'number' ? Math.round(v * 1000) : 0; }

// The text of one indexed field's value (JSON as the index keeps it).
function indexedValueText(v) {
  if (v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

async function searchPage(params) {
  const query = params.get('q') || '';
  const machine = params.get('machine') || '';
  main.innerHTML = `
    <h1>Search executions</h1>
    <form id="search-form" class="filters search-form">
      <label class="grow">Query (e.g. <code>customerId = "4711" and status = FAILED</code>; empty: every execution)
        <input id="search-query" spellcheck="false" autocomplete="off" value="${esc(query)}"></label>
      <label>State machine<select id="search-machine"><option value="">all machines</option></select></label>
      <button id="search-button" class="primary" type="submit">Search</button>
    </form>
    <p id="search-error" class="error" hidden></p>
    <p><span id="search-count" class="muted"></span>
      <button id="batch-stop" class="danger" hidden></button>
      <button id="batch-redrive" hidden></button></p>
    <div id="search-results"></div>
    <div class="pager"><button id="search-more" hidden>More</button></div>`;
  const form = document.getElementById('search-form');
  const select = document.getElementById('search-machine');
  const errorBox = document.getElementById('search-error');
  const box = document.getElementById('search-results');
  const more = document.getElementById('search-more');
  const countBox = document.getElementById('search-count');
  try {
    const { stateMachines } = await api('machines');
    select.innerHTML += stateMachines.map((m) => `<option value="${esc(m.stateMachineArn)}">${esc(m.name)}</option>`).join('');
    select.value = machine;
  } catch (e) { showError(box, e); return; }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams();
    const text = document.getElementById('search-query').value.trim();
    if (text) q.set('q', text);
    if (select.value) q.set('machine', select.value);
    const hash = `#/search${q.toString() ? '?' + q : ''}`;
    if (location.hash === hash) route(); else location.hash = hash;
  });

  const scope = { ...(query ? { query } : {}), ...(machine ? { stateMachineArn: machine } : {}) };
  let rows = [];
  let columns = [];
  function draw() {
    const seen = new Set(columns);
    for (const r of rows) for (const k of Object.keys(r.indexedFields || {})) if (!seen.has(k)) { seen.add(k); columns.push(k); }
    if (!rows.length) { box.innerHTML = '<p class="muted" id="no-results">No executions match.</p>'; return; }
    box.innerHTML = `<table id="search-table"><thead><tr><th>Name</th><th>State machine</th><th>Status</th><th>Started</th>${
      columns.map((c) => `<th class="indexed" data-field="${esc(c)}">${esc(c)}</th>`).join('')}</tr></thead><tbody>${
      rows.map((e) => `<tr class="search-row" data-name="${esc(e.name)}"><td><a href="#/execution/${encodeURIComponent(e.executionArn)}">${esc(e.name)}</a></td><td>${esc(String(e.stateMachineArn || '').split(':').pop())}</td><td>${badge(e.status)}</td><td>${fmtTime(awsDateMs(e.startDate))}</td>${
        columns.map((c) => `<td class="mono indexed" data-field="${esc(c)}">${esc(indexedValueText((e.indexedFields || {})[c]))}</td>`).join('')}</tr>`).join('')
    }</tbody></table>`;
  }
  async function page(token) {
    more.disabled = true;
    const r = await aws('Stepwise.SearchExecutions', { ...scope, maxResults: 100, ...(token ? { nextToken: token } : {}) });
    rows = rows.concat(r.executions || []);
    draw();
    more.hidden = !r.nextToken;
    more.disabled = false;
    more.onclick = () => page(r.nextToken).catch(fail);
  }
  function fail(e) {
    if (e instanceof AuthError) return;
    errorBox.hidden = false;
    errorBox.textContent = e.message;
    document.getElementById('search-query').classList.add('invalid');
  }
  try {
    const [{ count }] = await Promise.all([aws('Stepwise.CountExecutions', scope), page('')]);
    countBox.textContent = `${count} matching execution${count === 1 ? '' : 's'}`;
    countBox.dataset.count = String(count);
    // A batch job acts on the executions it can act on (its status filter):
    // the buttons count those among the matches.
    for (const [id, operation, verb, statuses] of BATCH_ACTIONS) {
      const b = document.getElementById(id);
      const only = statuses.map((st) => `status = ${st}`).join(' or ');
      const n = count === 0 ? 0 : (await aws('Stepwise.CountExecutions', { ...scope, query: query ? `(${query}) and (${only})` : only })).count;
      b.hidden = n === 0;
      b.textContent = `${verb} all ${n} matching`;
      b.title = `${verb} the ${n} ${statuses.join(', ').toLowerCase()} executions among the matches, as a batch job`;
      b.dataset.count = String(n);
      b.onclick = () => startBatch(operation, scope, n, b);
    }
  } catch (e) { fail(e); }
  main.dataset.ready = '1';
}

// The batch jobs a search result can start: the button, the operation, its
// verb and the statuses the job acts on (the engine's default filters).
const BATCH_ACTIONS = [
  ['batch-stop', 'STOP', 'Stop', ['RUNNING']],
  ['batch-redrive', 'REDRIVE', 'Redrive', ['FAILED', 'TIMED_OUT', 'ABORTED']],
];

// Starts a batch job over what the search selects, after a confirmation,
// and opens the batch jobs page.
async function startBatch(operation, scope, count, button) {
  const what = operation === 'STOP' ? 'Stop' : 'Redrive';
  if (!confirm(`${what} all ${count} matching executions?`)) return;
  button.disabled = true;
  try {
    const body = { operation, ...scope };
    if (operation === 'STOP') { body.error = 'Console.BatchStopped'; body.cause = 'stopped by a batch job from the web console'; }
    const r = await aws('Stepwise.StartBatchOperation', body);
    location.hash = `#/batch/${encodeURIComponent(r.batchOperationId)}`;
  } catch (e) {
    if (e instanceof AuthError) return;
    const err = document.getElementById('search-error');
    err.hidden = false;
    err.textContent = e.message;
    button.disabled = false;
  }
}
