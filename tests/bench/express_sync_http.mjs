// StartSyncExecution through the AWS JSON endpoint, for the Express figure
// of tests/bench/stepwised_bench.sh: creates an EXPRESS 10-state Pass chain
// on ENDPOINT (http://HOST:PORT of a running stepwised), then CALLERS loops
// each POST StartSyncExecution over a keep-alive connection for SECONDS,
// and prints one JSON object: executions/s, transitions/s and the call's
// p50/p99 in ms. Plain node:http (no SDK), so the client costs little.
// Usage: node express_sync_http.mjs ENDPOINT [SECONDS] [CALLERS]
import http from 'node:http';

const [endpoint, secondsArg, callersArg] = process.argv.slice(2);
const seconds = Number(secondsArg ?? 10);
const callers = Number(callersArg ?? 64);
const url = new URL(endpoint);
const agent = new http.Agent({ keepAlive: true, maxSockets: callers });

function call(action, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request({
      host: url.hostname, port: url.port, path: '/', method: 'POST', agent,
      headers: {
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': `AWSStepFunctions.${action}`,
        'Content-Length': Buffer.byteLength(data),
      },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode !== 200) reject(new Error(`${res.statusCode} ${text}`));
        else resolve(JSON.parse(text));
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

const states = {};
for (let i = 0; i < 10; i++) {
  states[`S${i}`] = i === 9 ? { Type: 'Pass', End: true } : { Type: 'Pass', Next: `S${i + 1}` };
}
const { stateMachineArn } = await call('CreateStateMachine', {
  name: `bench-express-http-${process.pid}-${Date.now()}`, type: 'EXPRESS',
  roleArn: 'arn:aws:iam::123456789012:role/bench',
  definition: JSON.stringify({ StartAt: 'S0', States: states }),
});

const latencies = [];
let errors = 0;
let firstError = '';
const end = Date.now() + seconds * 1000;
const start = process.hrtime.bigint();
await Promise.all(Array.from({ length: callers }, async () => {
  while (Date.now() < end) {
    const t0 = process.hrtime.bigint();
    try {
      const r = await call('StartSyncExecution', { stateMachineArn, input: '{}' });
      if (r.status !== 'SUCCEEDED') throw new Error(`${r.status} ${r.error} ${r.cause}`);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    } catch (e) {
      errors += 1;
      if (!firstError) firstError = String(e.message ?? e);
    }
  }
}));
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
latencies.sort((a, b) => a - b);
const at = (p) => (latencies.length ? latencies[Math.floor(p * (latencies.length - 1))] : 0);
const out = {
  executions: latencies.length, errors, seconds: elapsed,
  executions_per_s: latencies.length / elapsed,
  transitions_per_s: (latencies.length * 10) / elapsed,
  p50_ms: at(0.5), p99_ms: at(0.99),
};
if (firstError) out.first_error = firstError;
console.log(JSON.stringify(out));
agent.destroy();
