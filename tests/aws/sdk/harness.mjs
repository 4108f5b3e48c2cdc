// Starts a real stepwised on free ports (temporary data directory) and
// builds an @aws-sdk/client-sfn client for its AWS JSON endpoint.
// STEPWISED names the binary.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SFNClient } from '@aws-sdk/client-sfn';

export const ROLE = 'arn:aws:iam::123456789012:role/stepwise';
export const PREFIX = 'arn:aws:states:us-east-1:123456789012';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Returns {endpoint, client, stop}. `extraArgs` are more stepwised flags.
export async function startStepwised(extraArgs = []) {
  const bin = process.env.STEPWISED;
  if (!bin) throw new Error('set STEPWISED to the stepwised binary');
  const dir = mkdtempSync(join(tmpdir(), 'stepwise-sdk-'));
  const ports = join(dir, 'ports');
  const child = spawn(bin, ['--grpc-listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:0',
    '--ports-file', ports, '--data-dir', join(dir, 'data'), '--log-level', 'warn', ...extraArgs],
  { stdio: ['ignore', 'inherit', 'inherit'] });
  let exited = null;
  child.on('exit', (code) => { exited = code; });
  for (let i = 0; i < 200 && !existsSync(ports); i++) {
    if (exited !== null) throw new Error(`stepwised exited with ${exited}`);
    await sleep(50);
  }
  const text = readFileSync(ports, 'utf8');
  const http = /http=(\d+)/.exec(text)[1];
  const grpc = /grpc=(\d+)/.exec(text)[1];
  const endpoint = `http://127.0.0.1:${http}`;
  const client = newClient(endpoint);
  const stop = async () => {
    client.destroy();
    if (exited === null) {
      const done = new Promise((r) => child.on('exit', r));
      child.kill('SIGTERM');
      await done;
    }
    rmSync(dir, { recursive: true, force: true });
    return exited;
  };
  return { endpoint, grpcPort: Number(grpc), client, stop };
}

// A client for `endpoint`: dummy credentials (signatures are not checked)
// and disableHostPrefix, without which StartSyncExecution and TestState go
// to sync-127.0.0.1, which does not resolve.
export function newClient(endpoint, extra = {}) {
  return new SFNClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    disableHostPrefix: true,
    maxAttempts: 1,
    ...extra,
  });
}

// Polls DescribeExecution until the execution is no longer RUNNING.
export async function waitClosed(client, executionArn, timeoutMs = 10000) {
  const { DescribeExecutionCommand } = await import('@aws-sdk/client-sfn');
  const end = Date.now() + timeoutMs;
  for (;;) {
    const d = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (d.status !== 'RUNNING' || Date.now() > end) return d;
    await sleep(20);
  }
}
