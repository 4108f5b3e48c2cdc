// Express executions through the AWS SDK for JavaScript v3
// (@aws-sdk/client-sfn, unchanged) against a real stepwised run with its
// clock 100x fast (the 5-minute Express limit comes after 3 s) and
// --express-log-dir: StartSyncExecution past a definition's TimeoutSeconds
// and past the Express limit (TIMED_OUT, States.Timeout), the 256 KiB
// payload boundary (input at the limit runs, one byte over is
// InvalidExecutionInput, an output over the limit fails the execution with
// States.DataLimitExceeded), and an async StartExecution of an Express
// machine whose events arrive in its log file (level ALL with execution
// data). Node's test runner; one daemon for the file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateStateMachineCommand, StartSyncExecutionCommand, StartExecutionCommand,
  InvalidExecutionInput,
} from '@aws-sdk/client-sfn';
import { startStepwised, sleep, ROLE } from './harness.mjs';

const LIMIT = 262144;
let sw;
let client;
let logDir;
before(async () => {
  logDir = mkdtempSync(join(tmpdir(), 'stepwise-sdk-express-logs-'));
  sw = await startStepwised(['--time-scale', '100', '--express-log-dir', logDir]);
  client = sw.client;
});
after(async () => {
  assert.equal(await sw.stop(), 0, 'stepwised exits 0 on SIGTERM');
  rmSync(logDir, { recursive: true, force: true });
});

async function express(name, definition, extra = {}) {
  const r = await client.send(new CreateStateMachineCommand({
    name, roleArn: ROLE, type: 'EXPRESS', definition: JSON.stringify(definition), ...extra,
  }));
  return r.stateMachineArn;
}

test('StartSyncExecution past TimeoutSeconds: TIMED_OUT with States.Timeout', async () => {
  // TimeoutSeconds 100 on a Wait of 300: 1 s against 3 s at 100x.
  const arn = await express('timeout', {
    TimeoutSeconds: 100, StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 300, End: true } },
  });
  const t0 = Date.now();
  const r = await client.send(new StartSyncExecutionCommand({ stateMachineArn: arn, input: '{}' }));
  const took = Date.now() - t0;
  assert.equal(r.status, 'TIMED_OUT');
  assert.equal(r.error, 'States.Timeout');
  assert.equal(r.output, undefined);
  assert.ok(took >= 800 && took < 2900, `ended at the definition's timeout, not the Wait: ${took} ms`);
  assert.ok(r.stopDate >= r.startDate);
});

test('StartSyncExecution past the Express limit: TIMED_OUT with States.Timeout', async () => {
  const arn = await express('forever', {
    StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 3600, End: true } },
  });
  const t0 = Date.now();
  const r = await client.send(new StartSyncExecutionCommand({ stateMachineArn: arn, input: '{}' }));
  const took = Date.now() - t0;
  assert.equal(r.status, 'TIMED_OUT');
  assert.equal(r.error, 'States.Timeout');
  assert.ok(took >= 2500 && took < 30000, `the 5-minute limit is 3 s at 100x: ${took} ms`);
});

test('the 256 KiB payload boundary', async () => {
  const echo = await express('echo', {
    StartAt: 'P', States: { P: { Type: 'Pass', End: true } },
  });
  const wrap = '{"s":""}'.length;
  const atLimit = JSON.stringify({ s: 'a'.repeat(LIMIT - wrap) });
  assert.equal(Buffer.byteLength(atLimit), LIMIT);
  const ok = await client.send(new StartSyncExecutionCommand({ stateMachineArn: echo, input: atLimit }));
  assert.equal(ok.status, 'SUCCEEDED', 'input of exactly 262144 bytes is accepted');
  assert.equal(ok.output.length, LIMIT);

  const over = JSON.stringify({ s: 'a'.repeat(LIMIT - wrap + 1) });
  for (const Command of [StartSyncExecutionCommand, StartExecutionCommand]) {
    await assert.rejects(client.send(new Command({ stateMachineArn: echo, input: over })), (e) => {
      assert.ok(e instanceof InvalidExecutionInput, e.name);
      assert.equal(e.message, `Input exceeds the maximum size of ${LIMIT} bytes`);
      return true;
    });
  }
  // Multi-byte characters count in bytes, as AWS's UTF-8 limit does.
  const wide = JSON.stringify({ s: '\u00e9'.repeat((LIMIT - wrap) / 2 + 1) });
  assert.ok(wide.length < LIMIT && Buffer.byteLength(wide) > LIMIT);
  await assert.rejects(client.send(new StartSyncExecutionCommand({ stateMachineArn: echo, input: wide })),
    (e) => e instanceof InvalidExecutionInput);

  // An output over the limit fails the execution (it cannot be caught).
  const twice = await express('twice', {
    StartAt: 'Double',
    States: {
      Double: { Type: 'Pass', Parameters: { 'a.$': '$.s', 'b.$': '$.s' }, End: true },
    },
  });
  const half = JSON.stringify({ s: 'b'.repeat(LIMIT / 2) });
  const failed = await client.send(new StartSyncExecutionCommand({ stateMachineArn: twice, input: half }));
  assert.equal(failed.status, 'FAILED');
  assert.equal(failed.error, 'States.DataLimitExceeded');
  assert.match(failed.cause, /'Double' returned a result with a size exceeding the maximum number of bytes service limit/);
  assert.equal(failed.output, undefined);
});

test('async Express execution: its history in the --express-log-dir file', async () => {
  const group = 'arn:aws:logs:us-east-1:123456789012:log-group:/sdk/express-async:*';
  const arn = await express('async', {
    StartAt: 'Hello',
    States: {
      Hello: { Type: 'Pass', Parameters: { 'greeting.$': "States.Format('hi {}', $.who)" }, Next: 'Nap' },
      Nap: { Type: 'Wait', Seconds: 50, End: true },
    },
  }, {
    loggingConfiguration: {
      level: 'ALL', includeExecutionData: true,
      destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: group } }],
    },
  });
  const { executionArn } = await client.send(new StartExecutionCommand({
    stateMachineArn: arn, input: '{"who":"sdk"}',
  }));
  assert.match(executionArn, /:express:async:/);
  const file = join(logDir, '_sdk_express-async.jsonl');
  let mine = [];
  for (let i = 0; i < 400; i++) {
    if (existsSync(file)) {
      mine = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim())
        .map((l) => JSON.parse(l)).filter((l) => l.execution_arn === executionArn);
      if (mine.some((l) => l.type === 'ExecutionSucceeded')) break;
    }
    await sleep(25);
  }
  assert.deepEqual(mine.map((l) => l.type), [
    'ExecutionStarted', 'PassStateEntered', 'PassStateExited', 'WaitStateEntered',
    'WaitStateExited', 'ExecutionSucceeded',
  ]);
  assert.deepEqual(mine.map((l) => l.id), ['1', '2', '3', '4', '5', '6']);
  const [started] = mine;
  assert.equal(JSON.parse(started.details.input).who, 'sdk', 'includeExecutionData: the input');
  assert.deepEqual(started.details.inputDetails, { truncated: false });
  const end = mine[mine.length - 1];
  assert.deepEqual(JSON.parse(end.details.output), { greeting: 'hi sdk' });
  assert.deepEqual(end.details.outputDetails, { truncated: false });
  assert.equal(end.redrive_count, '0');
});
