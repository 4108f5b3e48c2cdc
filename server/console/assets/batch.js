// Stepwise web console, the batch jobs page (#/batch, #/batch/ID): stop
// and redrive jobs (Stepwise.ListBatchOperations /
// DescribeBatchOperation) with a progress bar each, asked again every
// second while one runs (every 5 s otherwise), a Cancel button on a running job
// (Stepwise.CancelBatchOperation) and the first failures of a job. Jobs
// are started from the search page (search.js). Loaded before app.js,
// whose helpers (aws, esc, badge, fmtTime, main, pageCleanup) it calls at
// run time; defines functions only.
'use strict';

function batchProgress(j) {
  const selected = Number(j.selectedCount) || 0;
  const processed = Number(j.processedCount) || 0;
  if (selected === 0) return j.status === 'RUNNING' ? 0 : 100;
  return Math.min(100, Math.floor((processed * 100) / selected));
}

function batchJobHtml(j, open) {
  const pct = batchProgress(j);
  const failures = j.failures || [];
  return `<div class="card batch-job" data-id="${esc(j.batchOperationId)}" data-status="${esc(j.status)}">
    <div class="batch-head"><b>${esc(j.operation)}</b> ${badge(j.status)}
      <span class="mono muted">${esc(j.batchOperationId)}</span><span class="spacer"></span>
      ${j.status === 'RUNNING' ? `<button class="danger batch-cancel" data-id="${esc(j.batchOperationId)}">Cancel</button>` : ''}</div>
    <div class="progress" title="${pct}%"><span class="progress-bar ${esc(j.status)}" style="width:${pct}%"></span></div>
    <p class="batch-counts"><span class="batch-pct">${pct}%</span> · <span class="batch-processed">${esc(j.processedCount)}</span> of
      <span class="batch-selected">${esc(j.selectedCount)}</span> processed · <span class="batch-succeeded">${esc(j.succeededCount)}</span> succeeded ·
      <span class="batch-failed">${esc(j.failedCount)}</span> failed${
      j.skippedCount ? ` · <span class="batch-skipped">${esc(j.skippedCount)}</span> skipped (no longer ${esc(String(j.statusFilter || '').toLowerCase())})` : ''}</p>
    ${j.statusReason ? `<p class="error batch-reason">${esc(j.statusReason)}</p>` : ''}
    <p class="muted">${j.query ? `query <code>${esc(j.query)}</code>` : 'every execution'}${j.statusFilter ? ` with status ${esc(j.statusFilter)}` : ''}${j.stateMachineArn ? ` of ${esc(String(j.stateMachineArn).split(':').pop())}` : ''}
      · started ${fmtTime(awsDateMs(j.startDate))}${j.stopDate ? ` · ended ${fmtTime(awsDateMs(j.stopDate))}` : ''}</p>
    ${failures.length ? `<details ${open ? 'open' : ''}><summary>${failures.length} failure${failures.length === 1 ? '' : 's'}${failures.length >= 100 ? ' (first 100)' : ''}</summary>
      <table class="batch-failures"><tbody>${failures.map((f) => `<tr><td class="mono">${executionLink(f.executionArn)}</td><td class="error">${esc(f.error)}</td><td>${esc(f.cause)}</td></tr>`).join('')}</tbody></table></details>` : ''}
  </div>`;
}

// `focus`: the job just started (shown first, its failures open).
async function batchPage(focus) {
  main.innerHTML = `<h1>Batch jobs</h1>
    <p class="muted">Stop or redrive every execution a search selects: start one from the <a href="#/search">search page</a>.</p>
    <p id="batch-error" class="error" hidden></p>
    <div id="batch-jobs"><p class="muted">Loading…</p></div>`;
  const box = document.getElementById('batch-jobs');
  let timer = null;
  let closed = false;
  pageCleanup.push(() => { closed = true; clearTimeout(timer); });
  box.addEventListener('click', async (ev) => {
    const b = ev.target.closest('.batch-cancel');
    if (!b) return;
    b.disabled = true;
    try {
      await aws('Stepwise.CancelBatchOperation', { batchOperationId: b.dataset.id });
      await load();
    } catch (e) {
      if (e instanceof AuthError) return;
      const err = document.getElementById('batch-error');
      err.hidden = false;
      err.textContent = e.message;
      b.disabled = false;
    }
  });
  async function load() {
    clearTimeout(timer);
    let jobs;
    try {
      jobs = (await aws('Stepwise.ListBatchOperations', {})).batchOperations || [];
    } catch (e) { if (!closed) showError(box, e); return; }
    if (closed) return;
    jobs.sort((a, b) => (b.batchOperationId === focus) - (a.batchOperationId === focus) || (b.startDate || 0) - (a.startDate || 0));
    box.innerHTML = jobs.length ? jobs.map((j) => batchJobHtml(j, j.batchOperationId === focus)).join('') : '<p class="muted" id="no-batch-jobs">No batch jobs yet.</p>';
    main.dataset.ready = '1';
    // Live: asked again every second while one runs, else every 5 s (a job
    // started elsewhere shows up).
    timer = setTimeout(load, jobs.some((j) => j.status === 'RUNNING') ? 1000 : 5000);
  }
  await load();
}
