// End-to-end test of stepwised's web console in a real browser: Debian's
// chromium driven by playwright-core, against the real stepwised binary
// (STEPWISED) on free loopback ports with a temporary data directory and a
// bearer token. It builds executions through the AWS JSON API (a machine
// with a Choice, a Task with Retry and Catch, a Parallel and a Fail; an
// activity worker played by this script), then checks what the console
// shows: the token prompt, the graph painted per state outcome, the failed
// state's error, a start from the input editor followed live until it
// closes, the executions filters, activities, "waiting for a worker of
// function NAME" (and activity ARN), a parent Task linking to its child
// execution and back, a Distributed Map's Map Run page (counts, failed
// children first, an Express child described), a ~25,000-event history and a
// 1,000-iteration Map (time to interactive printed), and that SIGTERM stops
// stepwised promptly while the page holds a live-update request. Screenshots
// go to $SW_CONSOLE_OUT; SW_CONSOLE_DOCS_SCREENSHOT=path also copies the
// execution graph there (docs/console-execution.png).
import assert from 'node:assert/strict';
import { ROLE, TOKEN, awsClient, openBrowser, sleep, startStepwised, steps } from './harness.mjs';

const ACCOUNT = 'arn:aws:states:us-east-1:123456789012';
const counter = steps();
const { step } = counter;
const server = await startStepwised();
const { endpoint, daemon } = server;
const aws = awsClient(endpoint);
const { waitStatus } = aws;

// ---- fixtures through the AWS API ----
const activity = await aws('CreateActivity', { name: 'approve' });
const definition = {
  Comment: 'Orders: a Choice, a Task with Retry and Catch, a Parallel and a Fail',
  StartAt: 'Route',
  States: {
    Route: { Type: 'Choice', Choices: [
      { Variable: '$.kind', StringEquals: 'bad', Next: 'Reject' },
      { Variable: '$.kind', StringEquals: 'approve', Next: 'Approve' }], Default: 'Fanout' },
    Approve: { Type: 'Task', Resource: activity.activityArn, TimeoutSeconds: 300,
      Retry: [{ ErrorEquals: ['Flaky'], MaxAttempts: 1, IntervalSeconds: 1 }],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Recover' }], Next: 'Fanout' },
    Recover: { Type: 'Pass', Next: 'Fanout' },
    Fanout: { Type: 'Parallel', Next: 'Done', Branches: [
      { StartAt: 'Left', States: { Left: { Type: 'Pass', End: true } } },
      { StartAt: 'Right', States: { Right: { Type: 'Pass', Result: 'right', End: true } } }] },
    Done: { Type: 'Succeed' },
    Reject: { Type: 'Fail', Error: 'Orders.Rejected', Cause: 'kind was bad' },
  },
};
const orders = await aws('CreateStateMachine', { name: 'orders', definition: JSON.stringify(definition), roleArn: ROLE });
const start = (name, input) => aws('StartExecution', { stateMachineArn: orders.stateMachineArn, name, input: JSON.stringify(input) });

const ok1 = await start('ok-1', { kind: 'plain' });
const bad1 = await start('bad-1', { kind: 'bad' });
await waitStatus(ok1.executionArn, 'SUCCEEDED');
await waitStatus(bad1.executionArn, 'FAILED');
// caught-1: the worker fails once with Flaky (retried), then with Boom (caught).
const caught1 = await start('caught-1', { kind: 'approve' });
for (const [error, cause] of [['Flaky', 'first try'], ['Boom', 'worker gave up']]) {
  const task = await aws('GetActivityTask', { activityArn: activity.activityArn, workerName: 'test' });
  assert.ok(task.taskToken, 'a task for caught-1');
  await aws('SendTaskFailure', { taskToken: task.taskToken, error, cause });
}
await waitStatus(caught1.executionArn, 'SUCCEEDED');

// ---- browser (not signed in: the first step signs in) ----
const b = await openBrowser(endpoint, { signIn: false });
const { browser, page, external, pageErrors, shot } = b;
let watchRequests = 0;
page.on('request', (r) => { if (r.url().includes('/console/api/watch')) watchRequests++; });
const outcomes = () => page.evaluate(() => Object.fromEntries(
  [...document.querySelectorAll('#graph g.sw-state')].map((g) => [g.dataset.state, g.dataset.outcome])));
const openExecution = async (arn) => {
  await page.goto(`${endpoint}/#/execution/${encodeURIComponent(arn)}`);
  await page.waitForSelector('main[data-ready="1"]', { timeout: 30000 });
};

await step('without a token the console asks for one and shows no data', async () => {
  await page.goto(`${endpoint}/`);
  await page.waitForSelector('#login:not([hidden])');
  assert.equal(await page.locator('#machines-table').count(), 0);
  assert.ok(!(await page.content()).includes('orders'), 'no machine name before signing in');
  await shot('login');
  await page.fill('#token', 'wrong-token');
  await page.click('#login-button');
  await page.waitForSelector('#login-error:not([hidden])');
  assert.ok(!(await page.content()).includes('orders'));
  await page.fill('#token', TOKEN);
  await page.click('#login-button');
  await page.waitForSelector('#machines-table');
});

await step('state machines list with executions by status', async () => {
  const row = page.locator('#machines-table tr[data-arn$=":orders"]');
  await row.waitFor();
  assert.equal(await row.locator('.count[data-status="SUCCEEDED"]').innerText(), '2');
  assert.equal(await row.locator('.count[data-status="FAILED"]').innerText(), '1');
  await shot('machines');
});

await step('machine page draws the definition with Graphviz beside its JSON', async () => {
  await page.click('#machines-table a:text("orders")');
  await page.waitForSelector('#graph svg');
  const states = await page.evaluate(() => [...document.querySelectorAll('#graph g.sw-state text')].map((t) => t.textContent));
  for (const s of ['Route', 'Approve', 'Recover', 'Fanout', 'Left', 'Right', 'Done', 'Reject']) assert.ok(states.includes(s), `node ${s}`);
  const edges = await page.evaluate(() => [...document.querySelectorAll('#graph g.edge text')].map((t) => t.textContent));
  assert.ok(edges.includes('$.kind == "bad"'), `Choice rule label in ${edges}`);
  assert.ok(edges.includes('Default'));
  assert.ok(edges.includes('Catch States.ALL'));
  assert.ok(edges.some((t) => t.startsWith('Retry Flaky')));
  assert.equal(await page.locator('#graph g.sw-group-parallel').count(), 1);
  assert.equal(await page.locator('#graph g.sw-branch').count(), 2);
  assert.ok((await page.locator('#definition').innerText()).includes('"Orders.Rejected"'));
  await shot('machine');
});

await step('failed execution: states painted by outcome, the failed state shows its error', async () => {
  await openExecution(bad1.executionArn);
  const o = await outcomes();
  assert.equal(o.Route, 'succeeded');
  assert.equal(o.Reject, 'failed');
  assert.equal(o.Approve, 'notreached');
  assert.equal(o.Done, 'notreached');
  await page.click('#graph g.sw-state[data-state="Reject"]');
  assert.equal(await page.locator('#detail-error').innerText(), 'Orders.Rejected');
  assert.equal(await page.locator('#detail-cause').innerText(), 'kind was bad');
  await shot('execution-failed');
});

await step('caught execution: the Task is painted caught, with its retry and error', async () => {
  await openExecution(caught1.executionArn);
  const o = await outcomes();
  assert.equal(o.Approve, 'caught');
  assert.equal(o.Recover, 'succeeded');
  assert.equal(o.Left, 'succeeded');
  assert.equal(o.Done, 'succeeded');
  assert.equal(o.Reject, 'notreached');
  await page.click('#graph g.sw-state[data-state="Approve"]');
  assert.equal(await page.locator('#detail-retries').innerText(), '1');
  assert.equal(await page.locator('#detail-error').innerText(), 'Boom');
  await shot('execution-caught');
  if (process.env.SW_CONSOLE_DOCS_SCREENSHOT) {
    await page.screenshot({ path: process.env.SW_CONSOLE_DOCS_SCREENSHOT, fullPage: true });
  }
});

await step('events table filters by type and expands payloads; timeline and branch drill-down', async () => {
  await page.click('.tabs button[data-tab="events"]');
  await page.selectOption('#event-type', 'ActivityFailed');
  await page.waitForFunction(() => document.querySelectorAll('#events .vrow').length === 2);
  await page.click('#events .vrow >> nth=0');
  const payload = await page.locator('#event-payload').innerText();
  assert.ok(payload.includes('"Flaky"'), payload);
  await shot('events');
  await page.selectOption('#event-type', '');
  await page.click('.tabs button[data-tab="timeline"]');
  await page.waitForSelector('#timeline .vrow');
  assert.ok((await page.locator('#timeline .vrow').count()) >= 7);
  await shot('timeline');
  await page.click('.tabs button[data-tab="graph"]');
  await page.click('#graph g.sw-state[data-state="Fanout"]');
  await page.click('.branch-chip[data-branch="1"]');
  await page.waitForSelector('#scope-label');
  const rows = await page.evaluate(() => [...document.querySelectorAll('#events .vrow span:nth-child(3)')].map((s) => s.textContent));
  assert.ok(rows.length > 0 && rows.every((n) => n === 'Right'), `branch 2 events: ${rows}`);
});

await step('start from the input editor (validated) and watch it finish live', async () => {
  await page.goto(`${endpoint}/#/machine/${encodeURIComponent(orders.stateMachineArn)}`);
  await page.waitForSelector('#start-input');
  await page.fill('#start-name', 'live-1');
  await page.fill('#start-input', '{"kind": "approve"');
  await page.waitForSelector('#input-error:not([hidden])');
  assert.ok(await page.locator('#start-button').isDisabled(), 'invalid JSON cannot be sent');
  await page.fill('#start-input', '{"kind": "approve"}');
  assert.ok(!(await page.locator('#start-button').isDisabled()));
  await page.click('#start-button');
  await page.waitForURL(/#\/execution\//);
  await page.waitForSelector('main[data-ready="1"]');
  await page.waitForSelector('#graph g.sw-state[data-state="Approve"][data-outcome="running"]');
  assert.equal(await page.locator('#exec-status .badge').innerText(), 'RUNNING');
  await page.evaluate(() => { window.__sameDocument = true; });
  await shot('execution-running');
  // The page is parked on a watch request: its answer carries the news.
  const news = page.waitForResponse(async (r) => r.url().includes('/console/api/watch') &&
    (await r.text()).includes('ActivitySucceeded'), { timeout: 10000 });
  const task = await aws('GetActivityTask', { activityArn: activity.activityArn, workerName: 'test' });
  await aws('SendTaskSuccess', { taskToken: task.taskToken, output: '{"approved":true}' });
  await page.waitForSelector('#exec-status .badge.SUCCEEDED', { timeout: 10000 });
  await page.waitForSelector('#graph g.sw-state[data-state="Done"][data-outcome="succeeded"]');
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'updated in place, not reloaded');
  const answer = await news;
  assert.equal(answer.headers()['content-type'], 'text/event-stream; charset=utf-8');
  // No busy polling: while nothing happened, a handful of watch requests at most.
  assert.ok(watchRequests < 20, `${watchRequests} watch requests`);
});

await step('executions list: newest first, filtered by status, name prefix and start time', async () => {
  await page.goto(`${endpoint}/#/machine/${encodeURIComponent(orders.stateMachineArn)}`);
  const names = async () => {
    await page.waitForSelector('#executions-table, #no-executions');
    return page.evaluate(() => [...document.querySelectorAll('#executions-table tr.execution-row')].map((r) => r.dataset.name));
  };
  assert.deepEqual(await names(), ['live-1', 'caught-1', 'bad-1', 'ok-1']);
  await page.fill('#f-prefix', 'bad');
  await page.click('#f-apply');
  await page.waitForFunction(() => document.querySelectorAll('#executions-table tr.execution-row').length === 1);
  assert.deepEqual(await names(), ['bad-1']);
  await page.fill('#f-prefix', '');
  await page.selectOption('#f-status', 'SUCCEEDED');
  await page.click('#f-apply');
  await page.waitForFunction(() => document.querySelectorAll('#executions-table tr.execution-row').length === 3);
  assert.deepEqual(await names(), ['live-1', 'caught-1', 'ok-1']);
  await shot('executions-filtered');
  await page.selectOption('#f-status', '');
  const future = new Date(Date.now() + 3600e3).toISOString().slice(0, 19);
  await page.fill('#f-from', future);
  await page.click('#f-apply');
  await page.waitForSelector('#no-executions');
});

await step('executions list pages 25 at a time (Older / Newer)', async () => {
  const many = await aws('CreateStateMachine', { name: 'many', roleArn: ROLE,
    definition: JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }) });
  for (let i = 0; i < 30; i++) {
    await aws('StartExecution', { stateMachineArn: many.stateMachineArn, name: `run-${String(i).padStart(2, '0')}`, input: '{}' });
  }
  await page.goto(`${endpoint}/#/machine/${encodeURIComponent(many.stateMachineArn)}`);
  const names = () => page.evaluate(() => [...document.querySelectorAll('#executions-table tr.execution-row')].map((r) => r.dataset.name));
  await page.waitForSelector('#executions-table');
  const first = await names();
  assert.equal(first.length, 25);
  assert.equal(first[0], 'run-29');
  await page.click('#next-page');
  await page.waitForFunction(() => document.querySelectorAll('#executions-table tr.execution-row').length === 5);
  assert.deepEqual(await names(), ['run-04', 'run-03', 'run-02', 'run-01', 'run-00']);
  assert.ok(await page.locator('#next-page').isDisabled());
  await page.click('#prev-page');
  await page.waitForFunction(() => document.querySelectorAll('#executions-table tr.execution-row').length === 25);
  assert.deepEqual(await names(), first);
});

await step('a ~25,000-event history stays usable (virtual scrolling)', async () => {
  const n = 6247;  // 4 events per loop: 4n + 8 = 24,996 events
  const loop = await aws('CreateStateMachine', { name: 'big-history', roleArn: ROLE, definition: JSON.stringify({
    StartAt: 'Init', States: {
      Init: { Type: 'Pass', Result: { i: 0 }, Next: 'Loop' },
      Loop: { Type: 'Choice', Choices: [{ Variable: '$.i', NumericLessThan: n, Next: 'Inc' }], Default: 'Done' },
      Inc: { Type: 'Pass', Parameters: { 'i.$': 'States.MathAdd($.i, 1)' }, Next: 'Loop' },
      Done: { Type: 'Succeed' } } }) });
  const ex = await aws('StartExecution', { stateMachineArn: loop.stateMachineArn, name: 'big', input: '{}' });
  await waitStatus(ex.executionArn, 'SUCCEEDED', 120000);
  const t0 = Date.now();
  await openExecution(ex.executionArn);
  const tti = Date.now() - t0;
  const events = await page.evaluate(() => document.getElementById('load-info').textContent);
  assert.equal(events, '24996 events');
  await page.click('.tabs button[data-tab="events"]');
  const t1 = Date.now();
  await page.evaluate(() => { const b = document.getElementById('events'); b.scrollTop = b.scrollHeight; });
  await page.waitForSelector('#events .vrow[data-id="24996"]');
  const scrollMs = Date.now() - t1;
  const rows = await page.locator('#events .vrow').count();
  assert.ok(rows < 200, `${rows} rows in the DOM for 24,996 events`);
  const renderMs = Number(await page.evaluate(() => document.querySelector('main').dataset.renderMs));
  console.log(`     25k-event history: time to interactive ${tti} ms (history read in one watch answer, then analysis + first draw ${renderMs} ms), scroll to the end ${scrollMs} ms, ${rows} rows drawn`);
  // Usable: the longest task that blocks the page stays well under a second.
  assert.ok(renderMs < 1500, `analysis + first draw took ${renderMs} ms`);
  await shot('big-history');
});

await step('a 1,000-iteration Map stays usable and drills into an iteration', async () => {
  const map = await aws('CreateStateMachine', { name: 'big-map', roleArn: ROLE, definition: JSON.stringify({
    StartAt: 'Each', States: { Each: { Type: 'Map', ItemsPath: '$.items', End: true,
      ItemProcessor: { StartAt: 'Double', States: { Double: { Type: 'Pass', Parameters: { 'v.$': 'States.MathAdd($, $)' }, End: true } } } } } }) });
  const items = Array.from({ length: 1000 }, (_, i) => i);
  const ex = await aws('StartExecution', { stateMachineArn: map.stateMachineArn, name: 'thousand', input: JSON.stringify({ items }) });
  await waitStatus(ex.executionArn, 'SUCCEEDED', 120000);
  const t0 = Date.now();
  await openExecution(ex.executionArn);
  const tti = Date.now() - t0;
  const renderMs = Number(await page.evaluate(() => document.querySelector('main').dataset.renderMs));
  await page.click('#graph g.sw-state[data-state="Each"]');
  await page.waitForSelector('.iteration-chip');
  assert.equal(await page.locator('.iteration-chip').count(), 1000);
  assert.equal(await page.locator('.iteration-chip.succeeded').count(), 1000);
  await shot('big-map');
  await page.click('.iteration-chip[data-i="999"]');
  await page.waitForSelector('#scope-label');
  const ids = await page.evaluate(() => [...document.querySelectorAll('#events .vrow span:nth-child(2)')].map((s) => s.textContent));
  assert.deepEqual(ids, ['MapIterationStarted', 'PassStateEntered', 'PassStateExited', 'MapIterationSucceeded']);
  console.log(`     1,000-iteration Map: time to interactive ${tti} ms (analysis + first draw ${renderMs} ms)`);
});

await step('interleaved Map iterations (a Wait in each) drill down to their own events', async () => {
  const m = await aws('CreateStateMachine', { name: 'napping-map', roleArn: ROLE, definition: JSON.stringify({
    StartAt: 'Each', States: { Each: { Type: 'Map', ItemsPath: '$.items', End: true,
      ItemProcessor: { StartAt: 'Nap', States: { Nap: { Type: 'Wait', Seconds: 1, Next: 'Echo' }, Echo: { Type: 'Pass', End: true } } } } } }) });
  const ex = await aws('StartExecution', { stateMachineArn: m.stateMachineArn, name: 'naps', input: JSON.stringify({ items: [1, 2, 3] }) });
  await waitStatus(ex.executionArn, 'SUCCEEDED');
  const h = await aws('GetExecutionHistory', { executionArn: ex.executionArn, maxResults: 1000 });
  const order = h.events.filter((e) => e.type === 'MapIterationStarted' || e.type === 'WaitStateExited').map((e) => e.type);
  assert.deepEqual(order.slice(0, 3), ['MapIterationStarted', 'MapIterationStarted', 'MapIterationStarted'], 'iterations interleave (else this proves nothing)');
  await openExecution(ex.executionArn);
  await page.click('#graph g.sw-state[data-state="Each"]');
  await page.click('.iteration-chip[data-i="1"]');
  await page.waitForSelector('#scope-label');
  const rows = await page.evaluate(() => [...document.querySelectorAll('#events .vrow')].map((r) => [r.children[1].textContent, r.children[4].textContent]));
  assert.deepEqual(rows.map((r) => r[0]), ['MapIterationStarted', 'WaitStateEntered', 'WaitStateExited', 'PassStateEntered', 'PassStateExited', 'MapIterationSucceeded']);
  assert.ok(rows.filter((r) => r[0].endsWith('StateEntered')).every((r) => r[1] === '2'), JSON.stringify(rows));
  await page.click('.tabs button[data-tab="timeline"]');
  await page.waitForSelector('#timeline .vrow');
  assert.equal(await page.locator('#timeline .vrow').count(), 2, 'Nap and Echo of iteration 1');
});

await step('Stop on a running execution aborts it and the page shows it live', async () => {
  const ex = await start('stop-me', { kind: 'approve' });
  await openExecution(ex.executionArn);
  await page.waitForSelector('#graph g.sw-state[data-state="Approve"][data-outcome="running"]');
  await page.click('#stop-button');
  await page.waitForSelector('#exec-status .badge.ABORTED', { timeout: 10000 });
  assert.equal((await aws('DescribeExecution', { executionArn: ex.executionArn })).status, 'ABORTED');
  assert.equal(await page.locator('#graph g.sw-state[data-state="Approve"]').getAttribute('data-outcome'), 'failed');
});

let poll;
await step('activities: waiting tasks and polling workers', async () => {
  await start('waiting-1', { kind: 'approve' });  // a task nobody takes yet
  const idle = await aws('CreateActivity', { name: 'idle' });
  poll = new AbortController();
  // A worker long-polling an activity with no work (answered empty at shutdown).
  aws('GetActivityTask', { activityArn: idle.activityArn, workerName: 'idle-worker' }, { signal: poll.signal }).catch(() => {});
  await page.goto(`${endpoint}/#/activities`);
  await page.waitForSelector('#activities-table tr[data-name="approve"]');
  await page.waitForFunction(() => document.querySelector('tr[data-name="approve"] .waiting').textContent === '1');
  assert.equal(await page.locator('tr[data-name="approve"] .pollers').innerText(), '0');
  await page.waitForSelector('#activities-table tr[data-name="idle"]');
  assert.equal(await page.locator('tr[data-name="idle"] .pollers').innerText(), '1');
  await shot('activities');
});

await step('a Task no worker serves: "waiting for a worker of function NAME" (or activity ARN), gone once a worker takes it', async () => {
  const fnMachine = await aws('CreateStateMachine', { name: 'validate', roleArn: ROLE, definition: JSON.stringify({
    StartAt: 'Validate', States: { Validate: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:ValidateOrder', End: true } } }) });
  const fx = await aws('StartExecution', { stateMachineArn: fnMachine.stateMachineArn, name: 'no-worker' });
  await openExecution(fx.executionArn);
  await page.waitForSelector('#exec-waiting', { timeout: 10000 });
  assert.equal(await page.locator('#exec-waiting').innerText(), 'waiting for a worker of function ValidateOrder');
  await shot('waiting-function');
  await page.goto(`${endpoint}/#/activities`);
  await page.waitForSelector('#functions-table tr[data-name="ValidateOrder"]');
  assert.equal(await page.locator('#functions-table tr[data-name="ValidateOrder"] .waiting').innerText(), '1');
  assert.equal(await page.locator('#activities-table tr[data-name="ValidateOrder"]').count(), 0, 'a function is not an activity');
  await aws('StopExecution', { executionArn: fx.executionArn });

  const review = await aws('CreateActivity', { name: 'review' });
  const actMachine = await aws('CreateStateMachine', { name: 'reviews', roleArn: ROLE, definition: JSON.stringify({
    StartAt: 'Review', States: { Review: { Type: 'Task', Resource: review.activityArn, End: true } } }) });
  const ax = await aws('StartExecution', { stateMachineArn: actMachine.stateMachineArn, name: 'no-reviewer' });
  await openExecution(ax.executionArn);
  await page.waitForSelector('#exec-waiting', { timeout: 10000 });
  assert.equal(await page.locator('#exec-waiting').innerText(), `waiting for a worker of activity ${review.activityArn}`);
  const task = await aws('GetActivityTask', { activityArn: review.activityArn, workerName: 'reviewer' });
  assert.ok(task.taskToken);
  // The page asks again every 2 s while the execution runs.
  await page.waitForSelector('#exec-waiting', { state: 'detached', timeout: 10000 });
  assert.equal(await page.locator('#exec-status .badge.RUNNING').count(), 1);
  await aws('SendTaskSuccess', { taskToken: task.taskToken, output: '{}' });
  await page.waitForSelector('#exec-status .badge.SUCCEEDED', { timeout: 10000 });
});

await step('a parent Task links to its child execution and the child links back to its parent', async () => {
  const child = await aws('CreateStateMachine', { name: 'child', roleArn: ROLE, definition: JSON.stringify({
    StartAt: 'Hello', States: { Hello: { Type: 'Pass', Result: { done: true }, End: true } } }) });
  const parent = await aws('CreateStateMachine', { name: 'parent', roleArn: ROLE, definition: JSON.stringify({
    StartAt: 'RunChild', States: { RunChild: { Type: 'Task', Resource: 'arn:aws:states:::states:startExecution.sync:2',
      Parameters: { StateMachineArn: child.stateMachineArn, Input: { n: 1, 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id' } },
      End: true } } }) });
  const px = await aws('StartExecution', { stateMachineArn: parent.stateMachineArn, name: 'p-1' });
  const done = await waitStatus(px.executionArn, 'SUCCEEDED');
  const childArn = JSON.parse(done.output).ExecutionArn;
  assert.match(childArn, /:execution:child:/);

  await openExecution(px.executionArn);
  assert.equal(await page.locator('#children a.execution-link').getAttribute('href'), `#/execution/${encodeURIComponent(childArn)}`);
  await page.click('#graph g.sw-state[data-state="RunChild"]');
  await page.waitForSelector('#detail-child');
  assert.equal(await page.locator('#detail-child').innerText(), childArn);
  await shot('parent-links-child');
  await page.click('.tabs button[data-tab="events"]');
  await page.waitForSelector('#events .vrow');
  const linked = await page.locator('#events .vrow a.execution-link').evaluateAll((as) => as.map((a) => a.closest('.vrow').children[1].textContent));
  assert.deepEqual(linked, ['TaskSubmitted', 'TaskSucceeded'], 'the Task events name the child');
  await page.locator('#events .vrow a.execution-link').first().click();
  await page.waitForFunction((arn) => decodeURIComponent(location.hash) === `#/execution/${arn}`, childArn);
  await page.waitForSelector('main[data-ready="1"]', { timeout: 30000 });
  assert.equal(await page.locator('#started-by').innerText(), `started by ${px.executionArn}`);
  await shot('child-started-by');
  await page.click('#started-by a');
  await page.waitForFunction((arn) => decodeURIComponent(location.hash) === `#/execution/${arn}`, px.executionArn);
  await page.waitForFunction(() => document.querySelector('h1')?.textContent.startsWith('p-1'), null, { timeout: 30000 });
});

await step('an Express machine lists its recent Express executions and their logged events', async () => {
  const express = await aws('CreateStateMachine', { name: 'express-orders', roleArn: ROLE, type: 'EXPRESS',
    definition: JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', Result: { ok: true }, End: true } } }),
    loggingConfiguration: { level: 'ALL', includeExecutionData: true, destinations: [
      { cloudWatchLogsLogGroup: { logGroupArn: 'arn:aws:logs:us-east-1:123456789012:log-group:console:*' } }] } });
  const x = await aws('StartExecution', { stateMachineArn: express.stateMachineArn, name: 'x-1', input: '{}' });
  // Until Express executions run in the engine's Express path (which feeds
  // the in-memory list), they take the durable path and have a history.
  let durable = true;
  try { await aws('GetExecutionHistory', { executionArn: x.executionArn }); } catch { durable = false; }
  // The list is read when the page opens; the execution closes on its own.
  let listed = false;
  for (let i = 0; i < 50 && !listed; i++) {
    await page.goto(`${endpoint}/#/machine/${encodeURIComponent(express.stateMachineArn)}`);
    await page.waitForSelector('#express-table, #no-express');
    listed = await page.locator('#express-table tr.express-row').count() === 1;
    if (!listed) await sleep(100);
  }
  if (durable) return;
  assert.ok(listed, 'the Express execution is listed');
  await page.click('#express-table tr.express-row a');
  await page.waitForSelector('main[data-ready="1"] #express-events');
  const types = await page.locator('#express-events tr.express-event').evaluateAll((rs) => rs.map((r) => r.dataset.type));
  assert.deepEqual(types, ['ExecutionStarted', 'PassStateEntered', 'PassStateExited', 'ExecutionSucceeded']);
  await shot('express-execution');
});

await step('a Distributed Map links to its Map Run page: counts by status, failed children first, Express ones described', async () => {
  // Items 4 and 5 of 6 fail (their child's Fail state has a cause and the
  // items a note holding HTML: shown as text, never as markup).
  const fanout = await aws('CreateStateMachine', { name: 'fanout', roleArn: ROLE, definition: JSON.stringify({
    StartAt: 'Each', States: { Each: { Type: 'Map', Label: 'checks', ToleratedFailurePercentage: 50,
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' }, StartAt: 'Check', States: {
        Check: { Type: 'Choice', Choices: [{ Variable: '$.fail', BooleanEquals: true, Next: 'Broke' }], Default: 'Fine' },
        Broke: { Type: 'Fail', Error: 'Item.Broke', Cause: '<img id="injected-cause" src="x">' },
        Fine: { Type: 'Pass', End: true } } }, End: true } } }) });
  const items = [0, 1, 2, 3, 4, 5].map((i) => ({ i, fail: i >= 4, note: '<b id="injected-input">x</b>' }));
  const run = await aws('StartExecution', { stateMachineArn: fanout.stateMachineArn, name: 'fan-1', input: JSON.stringify(items) });
  await waitStatus(run.executionArn, 'SUCCEEDED');

  await openExecution(run.executionArn);
  await page.click('#map-runs a.map-run-link');
  await page.waitForSelector('main[data-ready="1"] #map-run-children-table');
  const count = (table, status) => page.locator(`#${table} tr[data-status="${status}"] .count`).innerText();
  assert.equal(await count('map-run-execution-counts', 'FAILED'), '2');
  assert.equal(await count('map-run-execution-counts', 'SUCCEEDED'), '4');
  assert.equal(await count('map-run-execution-counts', 'TOTAL'), '6');
  assert.equal(await count('map-run-item-counts', 'TOTAL'), '6');
  assert.match(await page.locator('#map-run-status').innerText(), /SUCCEEDED/);
  assert.match(await page.locator('#map-run-tolerance').innerText(), /^50 %/);
  const statuses = await page.locator('#map-run-children-table tr.map-run-child').evaluateAll((rs) => rs.map((r) => r.dataset.status));
  assert.deepEqual(statuses, ['FAILED', 'FAILED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
  await shot('map-run');
  await page.locator('#map-run-children-table tr.map-run-child a').first().click();
  await page.waitForSelector('main[data-ready="1"] #child-cause');
  assert.match(decodeURIComponent(await page.evaluate(() => location.hash)), /^#\/maprunchild\/arn:aws:states:us-east-1:123456789012:express:fanout\/checks:/);
  assert.equal(await page.locator('#child-error').innerText(), 'Item.Broke');
  assert.equal(await page.locator('#child-cause').innerText(), '<img id="injected-cause" src="x">');
  assert.match(await page.locator('#child-input').innerText(), /<b id=\\"injected-input\\">x<\/b>/);
  assert.equal(await page.locator('#injected-cause, #injected-input').count(), 0, 'user data was not rendered as markup');
  await shot('map-run-express-child');
  await page.click('#child-map-run');
  await page.waitForSelector('main[data-ready="1"] #map-run-children-table');
  await page.click('#map-run-parent');
  await page.waitForFunction((arn) => decodeURIComponent(location.hash) === `#/execution/${arn}`, run.executionArn);
});

await step('SIGTERM stops stepwised promptly while the page holds a live update', async () => {
  const waiting = `${ACCOUNT}:execution:orders:waiting-1`;
  await openExecution(waiting);
  await page.waitForSelector('#graph g.sw-state[data-state="Approve"][data-outcome="running"]');
  await sleep(300);  // the page is now parked on /console/api/watch
  const t = Date.now();
  daemon.kill('SIGTERM');
  await Promise.race([server.exited, sleep(10000)]);
  const ms = Date.now() - t;
  assert.equal(server.exitCode, 0, `exit code ${server.exitCode}`);
  assert.ok(ms < 5000, `took ${ms} ms`);
  console.log(`     SIGTERM to exit: ${ms} ms`);
});

await step('no request left stepwised and the page threw nothing', async () => {
  assert.deepEqual(external, []);
  assert.deepEqual(pageErrors, []);
});

if (poll) poll.abort();
await browser.close();
await server.stop();
console.log(counter.failures ? `${counter.failures} step(s) failed` : 'all steps passed');
process.exit(counter.failures ? 1 : 0);
