// Browser test of the console's operator views (issue 18), on the real
// stepwised in Debian's chromium (harness.mjs): redrive from the console
// (a Task fails because its worker fails, the worker is fixed, Redrive,
// the execution SUCCEEDS with redriveCount 1 shown), the versions and
// aliases of a machine (two versions, an 80/20 alias shown with its
// weights, executions naming the version they ran). Screenshots go to
// $SW_CONSOLE_OUT.
import assert from 'node:assert/strict';
import { ROLE, awsClient, openBrowser, startStepwised, steps } from './harness.mjs';

const server = await startStepwised();
const { endpoint } = server;
const aws = awsClient(endpoint);
const counter = steps();
const { step } = counter;
const b = await openBrowser(endpoint);
const { page, shot } = b;

const openExecution = async (arn) => {
  await page.goto(`${endpoint}/#/execution/${encodeURIComponent(arn)}`);
  await page.waitForSelector('main[data-ready="1"]', { timeout: 30000 });
};
const outcome = (state) => page.locator(`#graph g.sw-state[data-state="${state}"]`).getAttribute('data-outcome');

// ---- redrive ----
const charge = await aws('CreateActivity', { name: 'charge' });
const payments = await aws('CreateStateMachine', { name: 'payments', roleArn: ROLE, definition: JSON.stringify({
  StartAt: 'Validate', States: {
    Validate: { Type: 'Pass', Next: 'Charge' },
    Charge: { Type: 'Task', Resource: charge.activityArn, Next: 'Receipt' },
    Receipt: { Type: 'Pass', Result: 'sent', ResultPath: '$.receipt', End: true } } }) });

await step('redrive from the console: a failed worker, fixed, Redrive, SUCCEEDED with redriveCount 1', async () => {
  const ex = await aws('StartExecution', { stateMachineArn: payments.stateMachineArn, name: 'pay-1', input: '{"amount":12}' });
  // The worker is broken: it fails the task.
  const broken = await aws('GetActivityTask', { activityArn: charge.activityArn, workerName: 'worker-v1' });
  assert.ok(broken.taskToken, 'a task for pay-1');
  await aws('SendTaskFailure', { taskToken: broken.taskToken, error: 'Card.Declined', cause: 'worker v1 had a bug' });
  await aws.waitStatus(ex.executionArn, 'FAILED');

  await openExecution(ex.executionArn);
  assert.equal(await outcome('Charge'), 'failed');
  assert.equal(await outcome('Receipt'), 'notreached');
  assert.equal(await page.locator('#redrive-status').innerText(), 'REDRIVABLE');
  assert.equal(await page.locator('#redrive-count').count(), 0, 'never redriven yet');
  const button = page.locator('#redrive-button');
  assert.ok(await button.isVisible(), 'a Redrive button on a FAILED execution');
  assert.ok(!(await button.isDisabled()));
  await shot('redrive-before');

  await page.evaluate(() => { window.__sameDocument = true; });
  await button.click();
  await page.waitForSelector('#exec-status .badge.RUNNING', { timeout: 10000 });
  await page.waitForSelector('#graph g.sw-state[data-state="Charge"][data-outcome="running"]', { timeout: 10000 });
  // The worker is fixed: it takes the task the redrive scheduled.
  const fixed = await aws('GetActivityTask', { activityArn: charge.activityArn, workerName: 'worker-v2' });
  assert.ok(fixed.taskToken, 'the redrive scheduled Charge again');
  await aws('SendTaskSuccess', { taskToken: fixed.taskToken, output: '{"charged":12}' });
  await page.waitForSelector('#exec-status .badge.SUCCEEDED', { timeout: 10000 });
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'followed in place, not reloaded');
  await page.waitForSelector('#redrive-count');
  assert.equal(await page.locator('#redrive-count').innerText(), '1');
  assert.equal(await outcome('Charge'), 'succeeded', 'the rerun decides the colour');
  assert.equal(await outcome('Receipt'), 'succeeded');
  assert.ok(!(await button.isVisible()), 'no Redrive on a SUCCEEDED execution');
  const d = await aws('DescribeExecution', { executionArn: ex.executionArn });
  assert.equal(d.status, 'SUCCEEDED');
  assert.equal(d.redriveCount, 1);
  // The redriven run's events are in the history the page shows.
  await page.click('.tabs button[data-tab="events"]');
  await page.selectOption('#event-type', 'ExecutionRedriven');
  await page.waitForFunction(() => document.querySelectorAll('#events .vrow').length === 1);
  await shot('redrive-after');
});

await step('a SUCCEEDED execution cannot be redriven: no button, the reason shown', async () => {
  const ok = await aws('StartExecution', { stateMachineArn: payments.stateMachineArn, name: 'pay-2', input: '{}' });
  const task = await aws('GetActivityTask', { activityArn: charge.activityArn, workerName: 'worker-v2' });
  await aws('SendTaskSuccess', { taskToken: task.taskToken, output: '{}' });
  await aws.waitStatus(ok.executionArn, 'SUCCEEDED');
  await openExecution(ok.executionArn);
  assert.equal(await page.locator('#redrive-status').innerText(), 'NOT_REDRIVABLE');
  assert.ok((await page.locator('#redrive-reason').innerText()).length > 0, 'AWS says why');
  assert.ok(!(await page.locator('#redrive-button').isVisible()));
});

await step('a redriven Map reruns only its failed iterations; the page shows each iteration once', async () => {
  const each = await aws('CreateStateMachine', { name: 'charge-each', roleArn: ROLE, definition: JSON.stringify({
    StartAt: 'Each', States: { Each: { Type: 'Map', ItemsPath: '$.items', End: true,
      ItemProcessor: { StartAt: 'ChargeOne', States: { ChargeOne: { Type: 'Task', Resource: charge.activityArn, End: true } } } } } }) });
  const ex = await aws('StartExecution', { stateMachineArn: each.stateMachineArn, name: 'each-1',
    input: JSON.stringify({ items: [0, 1, 2, 3, 4, 5] }) });
  const tasks = [];
  for (let i = 0; i < 6; i++) tasks.push(await aws('GetActivityTask', { activityArn: charge.activityArn, workerName: 'worker-v1' }));
  // Items 0, 1, 3, 5 succeed; item 2 fails (the Map fails and aborts item 4).
  for (const t of tasks) if (![2, 4].includes(JSON.parse(t.input))) await aws('SendTaskSuccess', { taskToken: t.taskToken, output: '{}' });
  await aws('SendTaskFailure', { taskToken: tasks.find((t) => JSON.parse(t.input) === 2).taskToken, error: 'Card.Declined' });
  await aws.waitStatus(ex.executionArn, 'FAILED');
  await openExecution(ex.executionArn);
  await page.click('#redrive-button');
  await page.waitForSelector('#exec-status .badge.RUNNING', { timeout: 10000 });
  const again = [];
  for (let i = 0; i < 2; i++) again.push(await aws('GetActivityTask', { activityArn: charge.activityArn, workerName: 'worker-v2' }));
  assert.deepEqual(again.map((t) => JSON.parse(t.input)).sort(), [2, 4], 'only the failed and aborted items rerun');
  for (const t of again) await aws('SendTaskSuccess', { taskToken: t.taskToken, output: '{}' });
  await page.waitForSelector('#exec-status .badge.SUCCEEDED', { timeout: 10000 });
  await page.click('#graph g.sw-state[data-state="Each"]');
  await page.waitForSelector('.iteration-chip');
  assert.equal(await page.locator('.iteration-chip').count(), 6, 'one chip per item, the reruns in place of the failed ones');
  assert.equal(await page.locator('.iteration-chip.succeeded').count(), 6);
  assert.equal(await outcome('Each'), 'succeeded');
  await shot('redrive-map');
});

// ---- versions and aliases ----
await step('the alias view: two versions, an 80/20 alias with its weights, executions naming their version', async () => {
  const def = (greeting) => JSON.stringify({ StartAt: 'Greet', States: { Greet: { Type: 'Pass', Result: greeting, End: true } } });
  const m = await aws('CreateStateMachine', { name: 'greeter', roleArn: ROLE, definition: def('hello'),
    publish: true, versionDescription: 'first greeting' });
  const v1 = m.stateMachineVersionArn;
  const up = await aws('UpdateStateMachine', { stateMachineArn: m.stateMachineArn, definition: def('hi there'),
    publish: true, versionDescription: 'friendlier' });
  const v2 = up.stateMachineVersionArn;
  assert.ok(v1.endsWith(':1') && v2.endsWith(':2'), `${v1} ${v2}`);
  const alias = await aws('CreateStateMachineAlias', { name: 'prod', description: 'live traffic',
    routingConfiguration: [{ stateMachineVersionArn: v1, weight: 80 }, { stateMachineVersionArn: v2, weight: 20 }] });
  const runs = [];
  for (let i = 0; i < 6; i++) {
    runs.push(await aws('StartExecution', { stateMachineArn: alias.stateMachineAliasArn, name: `g-${i}`, input: '{}' }));
  }
  await aws('StartExecution', { stateMachineArn: v2, name: 'direct', input: '{}' });
  for (const r of runs) await aws.waitStatus(r.executionArn, 'SUCCEEDED');

  await page.goto(`${endpoint}/#/machine/${encodeURIComponent(m.stateMachineArn)}`);
  await page.waitForSelector('#versions-table');
  const versions = await page.locator('#versions-table tr.version-row').evaluateAll((rs) => rs.map((r) => [r.dataset.version, r.children[1].textContent]));
  assert.deepEqual(versions, [['2', 'friendlier'], ['1', 'first greeting']]);
  const row = page.locator('#aliases-table tr.alias-row[data-name="prod"]');
  await row.waitFor();
  const routes = await row.locator('.route-entry').evaluateAll((es) => es.map((e) => [e.dataset.version, e.dataset.weight, e.textContent]));
  assert.deepEqual(routes, [['1', '80', 'version 1 · 80%'], ['2', '20', 'version 2 · 20%']]);
  const widths = await row.locator('.route-part').evaluateAll((ps) => ps.map((p) => p.getBoundingClientRect().width));
  assert.equal(widths.length, 2);
  assert.ok(Math.abs(widths[0] / (widths[0] + widths[1]) - 0.8) < 0.02, `bar split ${widths}`);
  assert.ok((await row.innerText()).includes('live traffic'));
  await page.locator('#aliases-table').scrollIntoViewIfNeeded();
  await shot('versions-aliases');

  // Each execution names the version it ran, and the alias it came through.
  await page.waitForSelector('#executions-table');
  const labels = await page.locator('#executions-table tr.execution-row').evaluateAll((rs) => Object.fromEntries(rs.map((r) => [r.dataset.name, r.querySelector('td.version').textContent])));
  assert.equal(labels.direct, 'version 2');
  for (let i = 0; i < 6; i++) {
    const d = await aws('DescribeExecution', { executionArn: runs[i].executionArn });
    const n = d.stateMachineVersionArn.split(':').pop();
    assert.equal(labels[`g-${i}`], `version ${n} via alias prod`);
  }
  await openExecution(runs[0].executionArn);
  assert.match(await page.locator('#exec-version').innerText(), /^version [12] via alias prod$/);
});

// ---- restart from a state ----
await step('restart from a state: the input editor with the recorded input, edited, linked both ways', async () => {
  const original = `arn:aws:states:us-east-1:123456789012:execution:payments:pay-1`;
  await openExecution(original);
  await page.click('#graph g.sw-state[data-state="Charge"]');
  await page.click('#restart-button');
  const recorded = JSON.parse(await page.locator('#restart-input').inputValue());
  assert.deepEqual(recorded, { amount: 12 }, 'the input Charge was entered with');
  await page.fill('#restart-input', '{"amount": 15');
  await page.waitForSelector('#restart-error:not([hidden])');
  assert.ok(await page.locator('#restart-start').isDisabled(), 'invalid JSON cannot be sent');
  await page.fill('#restart-input', '{"amount": 15}');
  await page.fill('#restart-name', 'pay-1-again');
  await shot('restart-editor');
  await page.click('#restart-start');
  await page.waitForFunction(() => location.hash.includes('pay-1-again'));
  await page.waitForSelector('main[data-ready="1"]', { timeout: 30000 });
  await page.waitForSelector('#graph g.sw-state[data-state="Charge"][data-outcome="running"]', { timeout: 10000 });
  assert.equal(await outcome('Validate'), 'notreached', 'it began at Charge');
  const task = await aws('GetActivityTask', { activityArn: charge.activityArn, workerName: 'worker-v2' });
  assert.deepEqual(JSON.parse(task.input), { amount: 15 }, 'the edited input');
  await aws('SendTaskSuccess', { taskToken: task.taskToken, output: '{"charged":15}' });
  await page.waitForSelector('#exec-status .badge.SUCCEEDED', { timeout: 10000 });
  assert.equal(await page.locator('#restarted-from a').innerText(), original);
  await shot('restart-new');
  await page.click('#restarted-from a');
  await page.waitForFunction((arn) => decodeURIComponent(location.hash) === `#/execution/${arn}`, original);
  await page.waitForSelector('#restarted-into a', { timeout: 30000 });
  assert.equal(await page.locator('#restarted-into a').innerText(), `arn:aws:states:us-east-1:123456789012:execution:payments:pay-1-again`);
});

// ---- search and batch jobs ----
const ordersDef = JSON.stringify({ StartAt: 'Route', States: {
  Route: { Type: 'Choice', Choices: [{ Variable: '$.bad', BooleanEquals: true, Next: 'Reject' }], Default: 'Hold' },
  Hold: { Type: 'Wait', Seconds: 3600, Next: 'Done' },
  Done: { Type: 'Succeed' },
  Reject: { Type: 'Fail', Error: 'Order.Rejected' } } });
const shop = await aws('CreateStateMachine', { name: 'shop', roleArn: ROLE, definition: ordersDef });
await aws('Stepwise.PutIndexedFields', { stateMachineArn: shop.stateMachineArn,
  indexedFields: [{ name: 'customerId', source: 'INPUT', path: '$.customerId' }, { name: 'wave', source: 'INPUT', path: '$.wave' }] });

await step('the search box: an indexed field query returns the right rows and count; a bad query shows its error', async () => {
  const started = [];
  for (const [name, customerId, bad] of [['o-1', '4711', true], ['o-2', '4711', false], ['o-3', '42', true], ['o-4', '4711', true], ['o-5', '42', false]]) {
    started.push(await aws('StartExecution', { stateMachineArn: shop.stateMachineArn, name, input: JSON.stringify({ customerId, bad, wave: 0 }) }));
  }
  for (const n of [0, 2, 3]) await aws.waitStatus(started[n].executionArn, 'FAILED');
  await page.goto(`${endpoint}/#/search`);
  await page.waitForSelector('main[data-ready="1"]');
  await page.fill('#search-query', 'customerId = "4711" and status = FAILED');
  await page.click('#search-button');
  await page.waitForSelector('#search-table, #no-results');
  const rows = async () => page.locator('#search-table tr.search-row').evaluateAll((rs) => rs.map((r) => [r.dataset.name, r.querySelector('td.indexed[data-field="customerId"]').textContent]).sort());
  assert.deepEqual(await rows(), [['o-1', '4711'], ['o-4', '4711']]);
  await page.waitForSelector('#search-count[data-count]');
  assert.equal(await page.locator('#search-count').innerText(), '2 matching executions');
  await shot('search');
  await page.fill('#search-query', 'customerId = "4711"');
  await page.click('#search-button');
  await page.waitForFunction(() => document.querySelectorAll('#search-table tr.search-row').length === 3);
  assert.deepEqual(await rows(), [['o-1', '4711'], ['o-2', '4711'], ['o-4', '4711']]);
  await page.waitForSelector('#search-count[data-count="3"]');
  await page.fill('#search-query', 'customerId = ');
  await page.click('#search-button');
  await page.waitForSelector('#search-error:not([hidden])');
  const err = await page.locator('#search-error').innerText();
  assert.match(err, /ValidationException: query: .* at column \d+/);
  assert.equal(await page.locator('#search-table').count(), 0);
  await shot('search-error');
});

await step('a batch stop from a search result: "Stop all 24 matching", progress to 100%', async () => {
  const running = [];
  for (let i = 0; i < 24; i++) {
    running.push(await aws('StartExecution', { stateMachineArn: shop.stateMachineArn, name: `w-${i}`, input: JSON.stringify({ customerId: 'c9', bad: false, wave: 7 }) }));
  }
  await page.goto(`${endpoint}/#/search?q=${encodeURIComponent('wave = 7 and status = RUNNING')}`);
  await page.waitForSelector('main[data-ready="1"]');
  assert.equal(await page.locator('#search-table tr.search-row').count(), 24);
  assert.equal(await page.locator('#batch-stop').innerText(), 'Stop all 24 matching');
  page.once('dialog', (d) => d.accept());
  await page.click('#batch-stop');
  await page.waitForFunction(() => location.hash.startsWith('#/batch/'));
  const job = page.locator('.batch-job').first();
  await job.waitFor();
  // The job selects its executions a page at a time after it starts, so its
  // selected count is only final once the job has ended.
  await page.waitForSelector('.batch-job[data-status="SUCCEEDED"] >> nth=0', { timeout: 20000 });
  assert.equal(await job.locator('.batch-selected').innerText(), '24');
  assert.equal(await job.locator('.batch-pct').innerText(), '100%');
  assert.equal(await job.locator('.batch-processed').innerText(), '24');
  assert.equal(await job.locator('.batch-succeeded').innerText(), '24');
  const width = await job.locator('.progress-bar').evaluate((el) => el.style.width);
  assert.equal(width, '100%');
  for (const r of running) assert.equal((await aws('DescribeExecution', { executionArn: r.executionArn })).status, 'ABORTED');
  await shot('batch-job');
});

await step('no request left stepwised and the page threw nothing', async () => {
  assert.deepEqual(b.external, []);
  assert.deepEqual(b.pageErrors, []);
});

await b.browser.close();
await server.stop();
console.log(counter.failures ? `${counter.failures} step(s) failed` : 'all steps passed');
process.exit(counter.failures ? 1 : 0);
