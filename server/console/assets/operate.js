// Stepwise web console, operating executions and machines: the Redrive
// button and redrive fields of the execution page, the versions and aliases
// of a machine, and which version or alias an execution ran. Loaded before
// app.js, whose helpers (api, aws, esc, fmtTime, badge, route) it calls at
// run time; it defines functions only. Every change goes through the AWS
// JSON endpoint (POST /) with the console's bearer token, as starting an
// execution from the input editor does.
'use strict';

// ---------- versions and aliases ----------

// "3" of MACHINE:3; the label of an alias ARN MACHINE:NAME is its NAME.
function versionNumberOf(versionArn) {
  const n = String(versionArn || '').split(':').pop();
  return /^\d+$/.test(n) ? n : '';
}

// What an execution ran: "version 2", "version 2 via alias prod", or ''.
function versionLabel(e) {
  const v = versionNumberOf(e.stateMachineVersionArn);
  if (!v) return '';
  const alias = e.stateMachineAliasArn ? String(e.stateMachineAliasArn).split(':').pop() : '';
  return `version ${v}${alias ? ` via alias ${alias}` : ''}`;
}

// The machine page's "Versions and aliases" section (HTML) from the
// `machine` endpoint's versions and aliases.
function versionsSectionHtml(m) {
  if (!m.versions) return '';
  const versions = m.versions;
  const aliases = m.aliases || [];
  const versionsHtml = versions.length
    ? `<table id="versions-table"><thead><tr><th>Version</th><th>Description</th><th>Published</th></tr></thead><tbody>${
      versions.map((v) => `<tr class="version-row" data-version="${esc(v.version)}"><td class="mono">${esc(v.version)}</td><td>${esc(v.description) || '<span class="muted">none</span>'}</td><td>${fmtTime(v.creationDate)}</td></tr>`).join('')
    }</tbody></table>${m.versionsCapped ? '<p class="muted">Newest 100 shown.</p>' : ''}`
    : '<p class="muted" id="no-versions">No published versions (publish one with <code>stepwise machine publish</code> or PublishStateMachineVersion).</p>';
  const aliasesHtml = aliases.length
    ? `<table id="aliases-table"><thead><tr><th>Alias</th><th>Routing</th><th>Description</th><th>Updated</th></tr></thead><tbody>${
      aliases.map((a) => `<tr class="alias-row" data-name="${esc(a.name)}"><td>${esc(a.name)}</td><td>${routingHtml(a.routingConfiguration)}</td><td>${esc(a.description) || '<span class="muted">none</span>'}</td><td>${fmtTime(a.updateDate)}</td></tr>`).join('')
    }</tbody></table>`
    : '<p class="muted" id="no-aliases">No aliases.</p>';
  return `<h2>Versions</h2><div id="versions">${versionsHtml}</div><h2>Aliases</h2><div id="aliases">${aliasesHtml}</div>`;
}

// One alias's routing: a bar split by weight and the weights in words.
function routingHtml(routing) {
  const colors = ['route-a', 'route-b'];
  const bar = routing.map((r, i) => `<span class="route-part ${colors[i % 2]}" style="width:${Number(r.weight)}%" title="version ${esc(r.version)}: ${Number(r.weight)}%"></span>`).join('');
  const words = routing.map((r, i) => `<span class="route-entry" data-version="${esc(r.version)}" data-weight="${Number(r.weight)}"><span class="route-swatch ${colors[i % 2]}"></span>version ${esc(r.version)} · ${Number(r.weight)}%</span>`).join(' ');
  return `<div class="route-bar">${bar}</div><div class="route-words">${words}</div>`;
}

// ---------- redrive ----------

// Whether the execution page shows a Redrive button: a closed, unsuccessful
// Standard execution (redriveStatus is absent for Express executions).
function redriveApplies(exec) {
  return ['FAILED', 'TIMED_OUT', 'ABORTED'].includes(exec.status) && !!exec.redriveStatus;
}

// The execution summary's redrive rows (HTML): the count, the last redrive
// and, for a closed execution, whether it may be redriven and why not.
function redriveSummaryHtml(exec) {
  let html = '';
  if (exec.redriveCount) {
    html += `<dt>Redrives</dt><dd><span id="redrive-count">${esc(exec.redriveCount)}</span>${exec.redriveDate ? ` <span class="muted">· last ${fmtTime(exec.redriveDate)}</span>` : ''}</dd>`;
  }
  if (exec.redriveStatus && exec.status !== 'RUNNING') {
    html += `<dt>Redrive</dt><dd><span id="redrive-status">${esc(exec.redriveStatus)}</span>${
      exec.redriveStatusReason ? ` <span class="muted" id="redrive-reason">${esc(exec.redriveStatusReason)}</span>` : ''}</dd>`;
  }
  const version = versionLabel(exec);
  if (version) html += `<dt>Version</dt><dd id="exec-version">${esc(version)}</dd>`;
  return html;
}

// Shows or hides the Redrive button for `exec`, disabled with AWS's reason
// when the execution may not be redriven.
function updateRedriveButton(button, exec) {
  button.hidden = !redriveApplies(exec);
  const blocked = exec.redriveStatus !== 'REDRIVABLE';
  button.disabled = blocked;
  button.title = blocked ? (exec.redriveStatusReason || 'not redrivable') : 'restart it from the state that did not succeed';
}

// Wires the Redrive button: RedriveExecution, then the page again (it
// follows the execution live while it runs).
function wireRedriveButton(button, arn, onError) {
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await aws('RedriveExecution', { executionArn: arn });
      route();
    } catch (e) {
      if (!(e instanceof AuthError)) onError(e);
      button.disabled = false;
    }
  });
}

// ---------- restart from a state (Stepwise.RestartExecution) ----------

// Where the execution was restarted from, and the executions it was
// restarted into (summary rows, HTML): the new execution's ExecutionStarted
// names its origin (stepwiseRestartedFrom), the original's history gets an
// ExecutionRestarted event per restart.
function restartLinksHtml(events) {
  let html = '';
  const started = events.find((e) => e.type === 'ExecutionStarted');
  const from = started && details(started).stepwiseRestartedFrom;
  if (from && typeof from.executionArn === 'string') {
    html += `<dt>Restarted from</dt><dd class="mono" id="restarted-from">${executionLink(from.executionArn)} <span class="muted">at state ${esc(from.stateName)}${from.eventId ? ` (event ${esc(from.eventId)})` : ''}</span></dd>`;
  }
  const into = events.filter((e) => e.type === 'ExecutionRestarted').map((e) => details(e)).filter((d) => typeof d.executionArn === 'string');
  if (into.length) {
    html += `<dt>Restarted into</dt><dd class="mono" id="restarted-into">${into.map((d) => `${executionLink(d.executionArn)} <span class="muted">at state ${esc(d.stateName)}</span>`).join('<br>')}</dd>`;
  }
  return html;
}

// Whether the state panel offers "Restart from here" for `run`: a closed
// Standard execution, a top-level state (only those can be restarted).
function restartApplies(exec, machineType, run, definition) {
  return exec.status !== 'RUNNING' && machineType !== 'EXPRESS' && run && run.scope === '' &&
    Object.prototype.hasOwnProperty.call(definition.States || {}, run.name) && !!run.enteredId;
}

// The "Restart from here" button and its editor (HTML), for the state panel.
function restartPanelHtml(run) {
  return `<p><button id="restart-button" data-event="${esc(run.enteredId)}">Restart from here</button></p>
    <div id="restart-editor" class="card editor" hidden>
      <p class="muted">A new execution of this revision begins at <b>${esc(run.name)}</b> with the input this entry (event ${esc(run.enteredId)}) recorded; edit it if needed.</p>
      <div class="filters"><label>Name (optional)<input id="restart-name" placeholder="NAME-restart-N when empty"></label></div>
      <textarea id="restart-input" spellcheck="false"></textarea>
      <p id="restart-error" class="error" hidden></p>
      <button id="restart-start" class="primary">Restart</button> <button id="restart-cancel">Cancel</button>
    </div>`;
}

// Wires the button and editor restartPanelHtml drew: validates the input
// as JSON, sends Stepwise.RestartExecution (the input only when edited)
// and opens the new execution.
function wireRestartPanel(arn, run) {
  const button = document.getElementById('restart-button');
  const editor = document.getElementById('restart-editor');
  const input = document.getElementById('restart-input');
  const error = document.getElementById('restart-error');
  const go = document.getElementById('restart-start');
  const recorded = pretty(run.input);
  const showProblem = (text) => { error.hidden = !text; error.textContent = text; input.classList.toggle('invalid', !!text); };
  button.addEventListener('click', () => {
    editor.hidden = false;
    button.hidden = true;
    input.value = recorded;
    input.focus();
  });
  document.getElementById('restart-cancel').addEventListener('click', () => { editor.hidden = true; button.hidden = false; showProblem(''); });
  input.addEventListener('input', () => {
    let problem = '';
    try { JSON.parse(input.value); } catch (e) { problem = `Input is not valid JSON: ${e.message}`; }
    showProblem(problem);
    go.disabled = !!problem;
  });
  go.addEventListener('click', async () => {
    go.disabled = true;
    const name = document.getElementById('restart-name').value.trim();
    const body = { executionArn: arn, stateName: run.name, eventId: run.enteredId };
    if (input.value !== recorded) body.input = input.value;
    if (name) body.name = name;
    try {
      const r = await aws('Stepwise.RestartExecution', body);
      location.hash = `#/execution/${encodeURIComponent(r.executionArn)}`;
    } catch (e) {
      if (!(e instanceof AuthError)) showProblem(e.message);
      go.disabled = false;
    }
  });
}
