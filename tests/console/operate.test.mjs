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

await step('no request left stepwised and the page threw nothing', async () => {
  assert.deepEqual(b.external, []);
  assert.deepEqual(b.pageErrors, []);
});

await b.browser.close();
await server.stop();
console.log(counter.failures ? `${counter.failures} step(s) failed` : 'all steps passed');
process.exit(counter.failures ? 1 : 0);
