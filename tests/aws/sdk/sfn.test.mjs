// The AWS SDK for JavaScript v3 (@aws-sdk/client-sfn, unchanged) against a
// real stepwised: state machines, executions, paged/reversed history,
// filters, an activity worker loop written with the SDK, stop, AWS error
// names, tags, and the actions Stepwise does not support yet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateStateMachineCommand, DescribeStateMachineCommand, UpdateStateMachineCommand,
  DeleteStateMachineCommand, ListStateMachinesCommand, DescribeStateMachineForExecutionCommand,
  ValidateStateMachineDefinitionCommand, StartExecutionCommand, StopExecutionCommand,
  DescribeExecutionCommand, ListExecutionsCommand, GetExecutionHistoryCommand,
  CreateActivityCommand, DescribeActivityCommand, DeleteActivityCommand, ListActivitiesCommand,
  GetActivityTaskCommand, SendTaskSuccessCommand, SendTaskFailureCommand,
  SendTaskHeartbeatCommand, StartSyncExecutionCommand, TestStateCommand,
  RedriveExecutionCommand, DescribeMapRunCommand, TagResourceCommand, UntagResourceCommand,
  ListTagsForResourceCommand, paginateGetExecutionHistory,
  paginateListExecutions, ExecutionDoesNotExist, InvalidArn, ExecutionAlreadyExists,
  InvalidDefinition, StateMachineDoesNotExist, TaskTimedOut, InvalidToken,
} from '@aws-sdk/client-sfn';
import { startStepwised, waitClosed, sleep, ROLE, PREFIX } from './harness.mjs';

let sw;
let client;
before(async () => { sw = await startStepwised(); client = sw.client; });
after(async () => { assert.equal(await sw.stop(), 0, 'stepwised exits 0 on SIGTERM'); });

const hello = {
  StartAt: 'Greet',
  States: {
    Greet: { Type: 'Pass', Parameters: { 'greeting.$': "States.Format('hello {}', $.who)" },
      ResultPath: '$.out', Next: 'Shape' },
    Shape: { Type: 'Pass', OutputPath: '$.out', End: true },
  },
};

test('state machine lifecycle', async () => {
  const c = await client.send(new CreateStateMachineCommand({
    name: 'hello', definition: JSON.stringify(hello), roleArn: ROLE }));
  assert.equal(c.stateMachineArn, `${PREFIX}:stateMachine:hello`);
  assert.ok(c.creationDate instanceof Date && c.creationDate.getFullYear() > 2000);
  const d = await client.send(new DescribeStateMachineCommand({ stateMachineArn: c.stateMachineArn }));
  assert.equal(d.name, 'hello');
  assert.equal(d.type, 'STANDARD');
  assert.equal(d.status, 'ACTIVE');
  assert.deepEqual(JSON.parse(d.definition), hello);
  const u = await client.send(new UpdateStateMachineCommand({
    stateMachineArn: c.stateMachineArn, definition: JSON.stringify(hello) }));
  assert.ok(u.updateDate instanceof Date);
  const l = await client.send(new ListStateMachinesCommand({}));
  assert.deepEqual(l.stateMachines.map((m) => m.name), ['hello']);
  const v = await client.send(new ValidateStateMachineDefinitionCommand({
    definition: JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'B' } } }) }));
  assert.equal(v.result, 'FAIL');
  assert.equal(v.diagnostics[0].severity, 'ERROR');
  await assert.rejects(client.send(new CreateStateMachineCommand({
    name: 'broken', definition: '{"StartAt":"X","States":{}}', roleArn: ROLE })), InvalidDefinition);
  const tmp = await client.send(new CreateStateMachineCommand({
    name: 'doomed', definition: JSON.stringify(hello), roleArn: ROLE }));
  await client.send(new DeleteStateMachineCommand({ stateMachineArn: tmp.stateMachineArn }));
  await assert.rejects(client.send(new DescribeStateMachineCommand({
    stateMachineArn: tmp.stateMachineArn })), StateMachineDoesNotExist);
});

test('execution, history paging and reverse order', async () => {
  const stateMachineArn = `${PREFIX}:stateMachine:hello`;
  const s = await client.send(new StartExecutionCommand({
    stateMachineArn, name: 'run1', input: JSON.stringify({ who: 'sdk' }) }));
  assert.equal(s.executionArn, `${PREFIX}:execution:hello:run1`);
  assert.ok(s.startDate instanceof Date);
  const d = await waitClosed(client, s.executionArn);
  assert.equal(d.status, 'SUCCEEDED');
  assert.deepEqual(JSON.parse(d.output), { greeting: 'hello sdk' });
  assert.ok(d.stopDate >= d.startDate);

  const all = await client.send(new GetExecutionHistoryCommand({ executionArn: s.executionArn }));
  assert.deepEqual(all.events.map((e) => e.type), ['ExecutionStarted', 'PassStateEntered',
    'PassStateExited', 'PassStateEntered', 'PassStateExited', 'ExecutionSucceeded']);
  assert.deepEqual(JSON.parse(all.events[0].executionStartedEventDetails.input), { who: 'sdk' });
  assert.equal(all.events[2].stateExitedEventDetails.name, 'Greet');
  assert.ok(all.events[0].timestamp instanceof Date);

  const paged = [];
  let pages = 0;
  for await (const p of paginateGetExecutionHistory({ client, pageSize: 4 },
    { executionArn: s.executionArn })) {
    pages++;
    paged.push(...p.events);
  }
  assert.equal(pages, 2);
  assert.deepEqual(paged.map((e) => e.id), all.events.map((e) => e.id));

  const rev = await client.send(new GetExecutionHistoryCommand({
    executionArn: s.executionArn, reverseOrder: true, maxResults: 2 }));
  assert.deepEqual(rev.events.map((e) => e.id), [6, 5]);
  assert.ok(rev.nextToken);

  const sm = await client.send(new DescribeStateMachineForExecutionCommand({
    executionArn: s.executionArn }));
  assert.equal(sm.name, 'hello');

  // Same name, different input: ExecutionAlreadyExists.
  await assert.rejects(client.send(new StartExecutionCommand({
    stateMachineArn, name: 'run1', input: '{"who":"other"}' })), ExecutionAlreadyExists);
});

test('activity worker loop written with the SDK', async () => {
  const a = await client.send(new CreateActivityCommand({ name: 'double' }));
  const activityArn = a.activityArn;
  assert.equal(activityArn, `${PREFIX}:activity:double`);
  const da = await client.send(new DescribeActivityCommand({ activityArn }));
  assert.equal(da.name, 'double');
  const def = {
    StartAt: 'Double',
    States: {
      Double: { Type: 'Task', Resource: activityArn, HeartbeatSeconds: 60, ResultPath: '$.doubled',
        Catch: [{ ErrorEquals: ['Odd'], ResultPath: '$.error', Next: 'Rejected' }], End: true },
      Rejected: { Type: 'Fail', Error: 'Rejected', Cause: 'odd input' },
    },
  };
  const m = await client.send(new CreateStateMachineCommand({
    name: 'doubler', definition: JSON.stringify(def), roleArn: ROLE }));

  // The worker: long-polls, heartbeats, succeeds for even n, fails for odd.
  let running = true;
  let handled = 0;
  const worker = (async () => {
    while (running) {
      const t = await client.send(new GetActivityTaskCommand({ activityArn, workerName: 'sdk-worker' }));
      if (!t.taskToken) continue;
      const { n } = JSON.parse(t.input);
      await client.send(new SendTaskHeartbeatCommand({ taskToken: t.taskToken }));
      if (n % 2 === 0) {
        await client.send(new SendTaskSuccessCommand({ taskToken: t.taskToken,
          output: JSON.stringify(n * 2) }));
      } else {
        await client.send(new SendTaskFailureCommand({ taskToken: t.taskToken, error: 'Odd',
          cause: `${n} is odd` }));
      }
      handled++;
      if (handled === 6) {
        // A late second report is TaskTimedOut (the task is closed).
        await assert.rejects(client.send(new SendTaskSuccessCommand({ taskToken: t.taskToken,
          output: '1' })), TaskTimedOut);
        running = false;
      }
    }
  })();
  const starts = [];
  for (let n = 0; n < 6; n++) {
    starts.push(client.send(new StartExecutionCommand({ stateMachineArn: m.stateMachineArn,
      name: `n${n}`, input: JSON.stringify({ n }) })));
  }
  const arns = (await Promise.all(starts)).map((s) => s.executionArn);
  await worker;
  for (let n = 0; n < 6; n++) {
    const d = await waitClosed(client, arns[n]);
    if (n % 2 === 0) {
      assert.equal(d.status, 'SUCCEEDED');
      assert.deepEqual(JSON.parse(d.output), { n, doubled: n * 2 });
    } else {
      assert.equal(d.status, 'FAILED');
      assert.equal(d.error, 'Rejected');
    }
  }
  const h = await client.send(new GetExecutionHistoryCommand({ executionArn: arns[0] }));
  const started = h.events.find((e) => e.type === 'ActivityStarted');
  assert.equal(started.activityStartedEventDetails.workerName, 'sdk-worker');
  const failed = await client.send(new ListExecutionsCommand({
    stateMachineArn: m.stateMachineArn, statusFilter: 'FAILED' }));
  assert.deepEqual(failed.executions.map((e) => e.name).sort(), ['n1', 'n3', 'n5']);
  const l = await client.send(new ListActivitiesCommand({}));
  assert.deepEqual(l.activities.map((x) => x.name), ['double']);
});

test('a waiting long poll gets a task started later', { timeout: 90000 }, async () => {
  const a = await client.send(new CreateActivityCommand({ name: 'idle' }));
  // The poll is parked in the engine (no thread waits) until the execution starts.
  const m = await client.send(new CreateStateMachineCommand({ name: 'idler', roleArn: ROLE,
    definition: JSON.stringify({ StartAt: 'T', States: { T: { Type: 'Task', Resource: a.activityArn, End: true } } }) }));
  const poll = client.send(new GetActivityTaskCommand({ activityArn: a.activityArn }));
  await sleep(300);
  await client.send(new StartExecutionCommand({ stateMachineArn: m.stateMachineArn, name: 'x' }));
  const t = await poll;
  assert.ok(t.taskToken, 'a waiting poll gets the task');
  await client.send(new SendTaskSuccessCommand({ taskToken: t.taskToken, output: '{}' }));
  await client.send(new DeleteActivityCommand({ activityArn: a.activityArn }));
});

test('stop-execution and status filters', async () => {
  const m = await client.send(new CreateStateMachineCommand({ name: 'sleeper', roleArn: ROLE,
    definition: JSON.stringify({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 3600, End: true } } }) }));
  for (const name of ['a', 'b', 'c']) {
    await client.send(new StartExecutionCommand({ stateMachineArn: m.stateMachineArn, name }));
  }
  const running = await client.send(new ListExecutionsCommand({
    stateMachineArn: m.stateMachineArn, statusFilter: 'RUNNING' }));
  assert.deepEqual(running.executions.map((e) => e.name), ['c', 'b', 'a']);
  const stop = await client.send(new StopExecutionCommand({
    executionArn: `${PREFIX}:execution:sleeper:b`, error: 'Op', cause: 'stop it' }));
  assert.ok(stop.stopDate instanceof Date);
  const d = await client.send(new DescribeExecutionCommand({ executionArn: `${PREFIX}:execution:sleeper:b` }));
  assert.equal(d.status, 'ABORTED');
  const names = [];
  for await (const p of paginateListExecutions({ client, pageSize: 1 },
    { stateMachineArn: m.stateMachineArn })) names.push(...p.executions.map((e) => e.name));
  assert.deepEqual(names, ['c', 'b', 'a']);
  const aborted = await client.send(new ListExecutionsCommand({
    stateMachineArn: m.stateMachineArn, statusFilter: 'ABORTED' }));
  assert.deepEqual(aborted.executions.map((e) => e.name), ['b']);
});

test('AWS error names reach the SDK as its exception classes', async () => {
  await assert.rejects(client.send(new DescribeExecutionCommand({
    executionArn: `${PREFIX}:execution:hello:nope` })), ExecutionDoesNotExist);
  await assert.rejects(client.send(new StartExecutionCommand({ stateMachineArn: 'bad-arn' })),
    InvalidArn);
  await assert.rejects(client.send(new SendTaskSuccessCommand({ taskToken: 'junk', output: '{}' })),
    InvalidToken);
  await assert.rejects(client.send(new DescribeExecutionCommand({})), (e) => {
    assert.equal(e.name, 'ValidationException');
    assert.match(e.message, /executionArn/);
    assert.equal(e.$metadata.httpStatusCode, 400);
    assert.ok(e.$metadata.requestId);
    return true;
  });
});

test('TestState runs one state with a mock (disableHostPrefix: true)', async () => {
  const definition = JSON.stringify({
    Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Next: 'Done',
    Parameters: { 'Payload.$': '$' },
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.err', Next: 'Handler' }],
  });
  const ok = await client.send(new TestStateCommand({
    definition, roleArn: ROLE, input: '{"a":1}', inspectionLevel: 'DEBUG',
    mock: { result: '{"Payload":2}' },
  }));
  assert.equal(ok.status, 'SUCCEEDED');
  assert.equal(ok.nextState, 'Done');
  assert.equal(ok.output, '{"Payload":2}');
  assert.equal(ok.inspectionData.afterParameters, '{"Payload":{"a":1}}');
  const caught = await client.send(new TestStateCommand({
    definition, roleArn: ROLE, input: '{"a":1}', inspectionLevel: 'DEBUG',
    mock: { errorOutput: { error: 'Boom', cause: 'c' } },
  }));
  assert.equal(caught.status, 'CAUGHT_ERROR');
  assert.equal(caught.nextState, 'Handler');
  assert.equal(caught.inspectionData.errorDetails.catchIndex, 0);
  await assert.rejects(client.send(new TestStateCommand({
    definition: '{"Type":"Pass","End":true}', mock: { result: '{}' },
  })), (e) => {
    assert.equal(e.name, 'ValidationException');
    assert.equal(e.message, "State type 'Pass' is not supported when a mock is specified");
    return true;
  });
});

test('tags: TagResource, ListTagsForResource, UntagResource and TooManyTags', async () => {
  const { stateMachineArn: arn } = await client.send(new CreateStateMachineCommand({
    name: 'tagged', definition: JSON.stringify(hello), roleArn: ROLE,
    tags: [{ key: 'team', value: 'a' }] }));
  let listed = await client.send(new ListTagsForResourceCommand({ resourceArn: arn }));
  assert.deepEqual(listed.tags, [{ key: 'team', value: 'a' }]);
  const many = Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: '' }));
  await assert.rejects(client.send(new TagResourceCommand({ resourceArn: arn, tags: many })), (e) => {
    assert.equal(e.name, 'TooManyTags');
    assert.equal(e.resourceName, arn);
    return true;
  });
  await client.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['team'] }));
  listed = await client.send(new ListTagsForResourceCommand({ resourceArn: arn }));
  assert.deepEqual(listed.tags, []);
});

test('StartSyncExecution of an Express machine (disableHostPrefix: true)', async () => {
  const { stateMachineArn } = await client.send(new CreateStateMachineCommand({
    name: 'express-sync', roleArn: ROLE, type: 'EXPRESS', definition: JSON.stringify(hello),
  }));
  const ok = await client.send(new StartSyncExecutionCommand({
    stateMachineArn, name: 'n1', input: '{"who":"sdk"}',
  }));
  assert.equal(ok.status, 'SUCCEEDED');
  assert.deepEqual(JSON.parse(ok.output), { greeting: 'hello sdk' });
  assert.equal(ok.name, 'n1');
  assert.match(ok.executionArn, /:express:express-sync:n1:/);
  assert.ok(ok.startDate instanceof Date && ok.stopDate instanceof Date);
  assert.deepEqual(ok.inputDetails, { included: true });
  assert.equal(ok.billingDetails.billedMemoryUsedInMB, 64);
  assert.equal(ok.billingDetails.billedDurationInMilliseconds % 100, 0);
  const failing = await client.send(new CreateStateMachineCommand({
    name: 'express-fail', roleArn: ROLE, type: 'EXPRESS',
    definition: JSON.stringify({ StartAt: 'F', States: { F: { Type: 'Fail', Error: 'E', Cause: 'C' } } }),
  }));
  const failed = await client.send(new StartSyncExecutionCommand({
    stateMachineArn: failing.stateMachineArn,
  }));
  assert.equal(failed.status, 'FAILED');
  assert.equal(failed.error, 'E');
  assert.equal(failed.cause, 'C');
  await assert.rejects(client.send(new DescribeExecutionCommand({ executionArn: ok.executionArn })),
    (e) => { assert.equal(e.name, 'InvalidArn'); return true; });
  await assert.rejects(client.send(new StartSyncExecutionCommand({
    stateMachineArn: `${PREFIX}:stateMachine:hello`,
  })), (e) => { assert.equal(e.name, 'StateMachineTypeNotSupported'); return true; });
});

test('DescribeMapRun of a run that does not exist answers ResourceNotFound', async () => {
  await assert.rejects(client.send(new DescribeMapRunCommand({
    mapRunArn: `${PREFIX}:mapRun:hello/m:0f2d8a3e-5e57-4c1b-9f55-1d2a6a0b8c11`,
  })), (e) => {
    assert.equal(e.name, 'ResourceNotFound');
    assert.match(e.message, /Map Run Does Not Exist/);
    return true;
  });
});

test('RedriveExecution of a SUCCEEDED execution answers ExecutionNotRedrivable', async () => {
  const executionArn = `${PREFIX}:execution:hello:run1`;
  await waitClosed(client, executionArn);
  await assert.rejects(client.send(new RedriveExecutionCommand({ executionArn })), (e) => {
    assert.equal(e.name, 'ExecutionNotRedrivable');
    assert.equal(e.message, 'Execution is SUCCEEDED and cannot be redriven.');
    return true;
  });
  const d = await client.send(new DescribeExecutionCommand({ executionArn }));
  assert.equal(d.redriveCount, 0);
  assert.equal(d.redriveStatus, 'NOT_REDRIVABLE');
  assert.equal(d.redriveStatusReason, 'Execution is SUCCEEDED and cannot be redriven.');
});
