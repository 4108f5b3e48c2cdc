#!/usr/bin/env node
// StartExecution throughput through the AWS JSON endpoint vs gRPC, on one
// stepwised (fresh data directory): C connections (keep-alive) each send
// StartExecution of a one-state Pass machine back to back for D seconds;
// then, when STEPWISE_CLI names the `stepwise` binary, `stepwise bench
// --workload start-only` drives the gRPC port of the same server with the
// same C and D. With --sdk the HTTP side goes through @aws-sdk/client-sfn
// (SigV4 signing and all) instead of raw requests.
//
// Usage: STEPWISED=... [STEPWISE_CLI=...] node bench.mjs [--duration S]
//        [--concurrency C] [--sdk]
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { CreateStateMachineCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { startStepwised, ROLE } from './harness.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const duration = Number(opt('--duration', '5'));
const concurrency = Number(opt('--concurrency', '16'));
const useSdk = args.includes('--sdk');

const sw = await startStepwised();
const url = new URL(sw.endpoint);
const m = await sw.client.send(new CreateStateMachineCommand({ name: 'bench-http', roleArn: ROLE,
  definition: JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }) }));
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

function startRaw(i) {
  const body = JSON.stringify({ stateMachineArn: m.stateMachineArn, name: `e${i}`, input: '{}' });
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: '/', method: 'POST', agent,
      headers: { 'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': 'AWSStepFunctions.StartExecution',
        'Content-Length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve()
        : reject(new Error(`${res.statusCode} ${Buffer.concat(chunks)}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const startSdk = (i) => sw.client.send(new StartExecutionCommand({
  stateMachineArn: m.stateMachineArn, name: `e${i}`, input: '{}' }));
const start = useSdk ? startSdk : startRaw;

let n = 0;
const latencies = [];
const end = Date.now() + duration * 1000;
const t0 = process.hrtime.bigint();
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (Date.now() < end) {
    const i = n++;
    const s = process.hrtime.bigint();
    await start(i);
    latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
}));
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.floor(p * (latencies.length - 1))].toFixed(2);
const result = {
  http: { client: useSdk ? '@aws-sdk/client-sfn' : 'node http (keep-alive)', starts: latencies.length,
    per_second: Math.round(latencies.length / seconds), p50_ms: Number(pct(0.5)),
    p99_ms: Number(pct(0.99)) },
};
agent.destroy();

if (process.env.STEPWISE_CLI) {
  const out = execFileSync(process.env.STEPWISE_CLI, ['bench', '--endpoint',
    `127.0.0.1:${sw.grpcPort}`, '--workload', 'start-only', '--duration', String(duration),
    '--concurrency', String(concurrency)], { encoding: 'utf8' });
  result.grpc = JSON.parse(out).start_only;
}
await sw.stop();
console.log(JSON.stringify({ duration_s: duration, concurrency, ...result }, null, 1));
