// Stepwise web console, the Map Run page (#/maprun/ARN, issue 19): a
// Distributed Map's Map Run as DescribeMapRun gives it (status, settings,
// items and child executions counted by status) and a paged list of its
// children, the failed, timed-out and aborted ones first (console API
// `maprun` and `maprunchildren`); asked again every 3 s while the run is
// RUNNING. A Standard child links to its execution page; an Express child
// (no history kept) to #/maprunchild/ARN, what DescribeExecution gives
// (console API `maprunchild`).
// mapRunLinksHtml gives the execution page its links to the Map Runs its
// history started. Loaded before app.js, whose helpers (api, badge, esc,
// fmtTime, fmtDuration, pretty, main, pageCleanup, showError) it calls at
// run time; defines functions only.
'use strict';

const MAP_RUN_STATUSES = [['failed', 'FAILED'], ['timedOut', 'TIMED_OUT'], ['aborted', 'ABORTED'],
  ['running', 'RUNNING'], ['pending', 'PENDING'], ['succeeded', 'SUCCEEDED']];

// The Map Runs a history started (MapRunStarted events), as links.
function mapRunLinksHtml(events) {
  const arns = [...new Set(events.filter((e) => e.type === 'MapRunStarted')
    .map((e) => (e.mapRunStartedEventDetails || {}).mapRunArn).filter(Boolean))];
  if (!arns.length) return '';
  return `<dt>Map Runs</dt><dd class="mono" id="map-runs">${arns.map((a) =>
    `<a class="map-run-link" href="#/maprun/${encodeURIComponent(a)}">${esc(a)}</a>`).join('<br>')}</dd>`;
}

function mapRunCountsHtml(id, counts) {
  return `<table class="map-run-counts" id="${id}"><tbody>${
    MAP_RUN_STATUSES.map(([k, s]) => `<tr data-status="${s}"><td>${badge(s)}</td><td class="count">${esc(counts[k] ?? 0)}</td></tr>`).join('')
  }<tr data-status="TOTAL"><td>total</td><td class="count">${esc(counts.total ?? 0)}</td></tr>${
    counts.resultsWritten ? `<tr data-status="RESULTS_WRITTEN"><td>results written</td><td class="count">${esc(counts.resultsWritten)}</td></tr>` : ''
  }</tbody></table>`;
}

function mapRunChildHref(c) {
  return c.express ? `#/maprunchild/${encodeURIComponent(c.executionArn)}` : `#/execution/${encodeURIComponent(c.executionArn)}`;
}

async function mapRunPage(arn) {
  main.innerHTML = '<p class="muted">Loading…</p>';
  let closed = false;
  let timer = null;
  pageCleanup.push(() => { closed = true; clearTimeout(timer); });
  let run;
  try { run = await api('maprun', { arn }); } catch (e) { return showError(main, e); }
  if (closed) return;
  const machineName = run.stateMachineArn.split(':').pop();
  const parentName = run.executionArn.split(':').pop();
  main.innerHTML = `
    <p><a href="#/">State machines</a> / <a href="#/machine/${encodeURIComponent(run.stateMachineArn)}">${esc(machineName)}</a> / <a id="map-run-parent" href="#/execution/${encodeURIComponent(run.executionArn)}">${esc(parentName)}</a> / Map Run</p>
    <h1>Map Run <span id="map-run-status"></span></h1>
    <dl class="kv" id="map-run-summary"></dl>
    <div class="split map-run-split">
      <div class="card"><h2>Items</h2><div id="map-run-items"></div></div>
      <div class="card"><h2>Child executions</h2><div id="map-run-executions"></div></div>
    </div>
    <h2>Children <span class="muted">(failed, timed out and aborted first)</span></h2>
    <div class="pager"><button id="prev-page" disabled>Previous</button><button id="next-page" disabled>Next</button><span id="page-info" class="muted"></span></div>
    <div id="map-run-children"><p class="muted">Loading…</p></div>`;

  function renderRun() {
    document.getElementById('map-run-status').innerHTML = badge(run.status);
    const end = run.stopDate || Date.now();
    document.getElementById('map-run-summary').innerHTML = `<dt>ARN</dt><dd class="mono">${esc(run.mapRunArn)}</dd>
      <dt>Execution</dt><dd class="mono"><a href="#/execution/${encodeURIComponent(run.executionArn)}">${esc(run.executionArn)}</a></dd>
      <dt>Started</dt><dd>${fmtTime(run.startDate)}</dd>
      <dt>Duration</dt><dd>${fmtDuration(end - run.startDate)}${run.stopDate ? '' : ' (running)'}</dd>
      <dt>Max concurrency</dt><dd id="map-run-concurrency">${run.maxConcurrency ? esc(run.maxConcurrency) : 'the server\'s default'}</dd>
      <dt>Tolerated failures</dt><dd id="map-run-tolerance">${esc(run.toleratedFailurePercentage)} % · ${esc(run.toleratedFailureCount)} executions</dd>`;
    document.getElementById('map-run-items').innerHTML = mapRunCountsHtml('map-run-item-counts', run.itemCounts);
    document.getElementById('map-run-executions').innerHTML = mapRunCountsHtml('map-run-execution-counts', run.executionCounts);
  }

  const cursors = [''];
  let page = 0;
  const box = document.getElementById('map-run-children');
  async function loadChildren() {
    try {
      const r = await api('maprunchildren', { arn, cursor: cursors[page], limit: 25 });
      if (closed) return;
      cursors[page + 1] = r.cursor || null;
      document.getElementById('prev-page').disabled = page === 0;
      document.getElementById('next-page').disabled = !r.cursor;
      document.getElementById('page-info').textContent = `page ${page + 1}`;
      if (!r.executions.length) { box.innerHTML = '<p class="muted" id="no-children">No child executions yet.</p>'; return; }
      box.innerHTML = `<table id="map-run-children-table"><thead><tr><th>Name</th><th>Status</th><th>Items</th><th>Started</th><th>Duration</th><th>Type</th></tr></thead><tbody>${
        r.executions.map((c) => `<tr class="map-run-child" data-name="${esc(c.name)}" data-status="${esc(c.status)}"><td><a href="${esc(mapRunChildHref(c))}">${esc(c.name)}</a></td><td>${badge(c.status)}</td><td>${esc(c.itemCount ?? '')}</td><td>${fmtTime(c.startDate)}</td><td>${c.stopDate ? fmtDuration(c.stopDate - c.startDate) : ''}</td><td>${c.express ? 'Express' : 'Standard'}</td></tr>`).join('')
      }</tbody></table>`;
    } catch (e) { if (!closed) showError(box, e); }
  }
  document.getElementById('next-page').addEventListener('click', () => { page++; loadChildren(); });
  document.getElementById('prev-page').addEventListener('click', () => { if (page > 0) { page--; loadChildren(); } });

  renderRun();
  await loadChildren();
  main.dataset.ready = '1';
  // While it runs: the counts and the page shown, again every 3 s.
  async function refresh() {
    if (closed || run.status !== 'RUNNING') return;
    try { run = await api('maprun', { arn }); } catch { /* shown on the next try */ }
    if (closed) return;
    renderRun();
    await loadChildren();
    timer = setTimeout(refresh, 3000);
  }
  timer = setTimeout(refresh, 3000);
}

// An Express child of a Map Run: no history is kept, so what
// DescribeExecution gives (status, dates, input, output, error, cause).
async function mapRunChildPage(arn) {
  main.innerHTML = '<p class="muted">Loading…</p>';
  let info;
  try { info = await api('maprunchild', { arn }); } catch (e) { return showError(main, e); }
  const x = info.execution;
  const mapRunArn = info.mapRunArn || '';
  main.innerHTML = `
    <p><a href="#/">State machines</a> / ${mapRunArn ? `<a id="child-map-run" href="#/maprun/${encodeURIComponent(mapRunArn)}">Map Run</a> / ` : ''}${esc(x.name)}</p>
    <h1>${esc(x.name)} ${badge(x.status)}</h1>
    <p class="muted">Express child execution of a Map Run · started ${fmtTime(x.startDate)}${x.stopDate ? ` · ${fmtDuration(x.stopDate - x.startDate)}` : ' · running'} · no history is kept for Express executions</p>
    <dl class="kv" id="child-summary"><dt>ARN</dt><dd class="mono">${esc(x.executionArn)}</dd>
      ${x.error ? `<dt>Error</dt><dd class="error" id="child-error">${esc(x.error)}</dd><dt>Cause</dt><dd class="error" id="child-cause">${esc(x.cause || '')}</dd>` : ''}</dl>
    <h2>Input</h2><pre class="json" id="child-input">${esc(pretty(x.input))}</pre>
    ${x.output !== undefined ? `<h2>Output</h2><pre class="json" id="child-output">${esc(pretty(x.output))}</pre>` : ''}`;
  main.dataset.ready = '1';
}
