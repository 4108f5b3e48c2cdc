#!/usr/bin/env node
// Runs the conformance corpus (shared/conformance/cases) end to end through
// stepwised's AWS JSON endpoint with @aws-sdk/client-sfn: per case,
// CreateStateMachine, StartExecution, poll DescribeExecution until closed
// (EXPRESS cases: StartSyncExecution's answer)
// (an ABORTED case is stopped once its history shows WaitStateEntered, as
// the recording did), then compare status/output/error/cause by the
// corpus's rule (shared/conformance/README.md "Comparison rule", strict).
// Scored like conformance_runner's headline: pure_asl && !masked, JSONata
// cases skipped (Stepwise refuses JSONata). stepwised runs with
// --time-scale so Wait states and timeouts pass quickly.
//
// Usage: STEPWISED=<stepwised> node conformance.mjs <shared dir> [--time-scale N]
//        [--concurrency N] [--verbose]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateStateMachineCommand, StartExecutionCommand, DescribeExecutionCommand,
  GetExecutionHistoryCommand, StopExecutionCommand, StartSyncExecutionCommand,
} from '@aws-sdk/client-sfn';
import { startStepwised, sleep, ROLE } from './harness.mjs';

const args = process.argv.slice(2);
const shared = args.find((a) => !a.startsWith('--')) ?? '../../../../shared';
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const timeScale = opt('--time-scale', '1000');
const concurrency = Number(opt('--concurrency', '16'));
const verbose = args.includes('--verbose');
const casesDir = join(shared, 'conformance', 'cases');

function usesJsonata(v) {
  if (Array.isArray(v)) return v.some(usesJsonata);
  if (v && typeof v === 'object') {
    if (v.QueryLanguage === 'JSONata') return true;
    return Object.values(v).some(usesJsonata);
  }
  return false;
}

// Rule 2: key order ignored, numbers by value, arrays in order.
function jsonEquals(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((x, i) => jsonEquals(x, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && jsonEquals(a[k], b[k]));
}

// Returns null when `d` (DescribeExecution) matches `expected`, else the difference.
function compare(expected, d) {
  if (d.status !== expected.status) {
    return `status: expected ${expected.status}, got ${d.status} (${d.error ?? ''}: ${d.cause ?? ''})`;
  }
  if (expected.status === 'SUCCEEDED') {
    let out;
    try { out = JSON.parse(d.output); } catch { return `output is not JSON: ${d.output}`; }
    return jsonEquals(expected.output, out) ? null
      : `output: expected ${JSON.stringify(expected.output)}, got ${d.output}`;
  }
  const err = d.error || undefined;
  if ((expected.error ?? undefined) !== err) return `error: expected ${expected.error}, got ${err}`;
  const cause = d.cause || undefined;
  if (expected.cause_is_json_object) {
    let c;
    try { c = JSON.parse(cause); } catch { return `cause is not JSON: ${cause}`; }
    return jsonEquals(expected.cause, c) ? null
      : `cause: expected ${JSON.stringify(expected.cause)}, got ${cause}`;
  }
  if ((expected.cause ?? undefined) !== cause) return `cause: expected ${expected.cause}, got ${cause}`;
  return null;
}

async function runCase(client, c, n) {
  const made = await client.send(new CreateStateMachineCommand({
    name: `conformance-${n}`, definition: JSON.stringify(c.definition), roleArn: ROLE,
    type: c.state_machine_type ?? 'STANDARD' }));
  if (c.state_machine_type === 'EXPRESS') {
    // No DescribeExecution for Express (AWS): StartSyncExecution says how it ended.
    return client.send(new StartSyncExecutionCommand({ stateMachineArn: made.stateMachineArn,
      name: 'conformance-execution', input: JSON.stringify(c.input ?? {}) }));
  }
  const s = await client.send(new StartExecutionCommand({ stateMachineArn: made.stateMachineArn,
    name: 'conformance-execution', input: JSON.stringify(c.input ?? {}) }));
  const deadline = Date.now() + 120000;
  let stopped = c.expected.status !== 'ABORTED';
  for (;;) {
    if (!stopped) {
      const h = await client.send(new GetExecutionHistoryCommand({ executionArn: s.executionArn }));
      if (h.events.some((e) => e.type === 'WaitStateEntered')) {
        await client.send(new StopExecutionCommand({ executionArn: s.executionArn }));
        stopped = true;
      }
    }
    const d = await client.send(new DescribeExecutionCommand({ executionArn: s.executionArn }));
    if (d.status !== 'RUNNING') return d;
    if (Date.now() > deadline) return { status: 'RUNNING', error: 'harness', cause: 'still running after 120 s' };
    await sleep(20);
  }
}

const index = JSON.parse(readFileSync(join(casesDir, 'index.json'), 'utf8'));
const selected = [];
let jsonata = 0;
let notPure = 0;
let masked = 0;
for (const entry of index.cases) {
  if (!entry.pure_asl) { notPure++; continue; }
  if (entry.masked) { masked++; continue; }
  const c = JSON.parse(readFileSync(join(casesDir, entry.file), 'utf8'));
  if (usesJsonata(c.definition)) { jsonata++; continue; }
  selected.push(c);
}

const sw = await startStepwised(['--time-scale', timeScale]);
// A case AWS recorded as ABORTED was stopped during its Wait: the harness
// must stop it before the Wait ends, a race a scaled clock (a 60 s Wait in
// 60 ms at 1000x) loses under load. Those cases run on a second stepwised
// whose clock is not scaled; they end as soon as they are stopped.
const unscaled = selected.some((c) => c.expected.status === 'ABORTED') ? await startStepwised([]) : null;
const perCategory = new Map();
const failures = [];
let next = 0;
const t0 = Date.now();
async function lane() {
  for (;;) {
    const i = next++;
    if (i >= selected.length) return;
    const c = selected[i];
    let diff;
    try {
      const server = c.expected.status === 'ABORTED' && unscaled ? unscaled : sw;
      diff = compare(c.expected, await runCase(server.client, c, i));
    } catch (e) {
      diff = `${e.name}: ${e.message}`;
    }
    const row = perCategory.get(c.category) ?? { pass: 0, total: 0 };
    row.total++;
    if (diff === null) row.pass++; else failures.push(`${c.id}: ${diff}`);
    perCategory.set(c.category, row);
  }
}
await Promise.all(Array.from({ length: concurrency }, lane));
const seconds = (Date.now() - t0) / 1000;
const exitCode = Math.max(await sw.stop(), unscaled ? await unscaled.stop() : 0);

let pass = 0;
let total = 0;
console.log('category                 headline (pure_asl && !masked, no JSONata), via AWS JSON + SDK');
for (const [cat, r] of [...perCategory].sort()) {
  console.log(`${cat.padEnd(24)} ${r.pass}/${r.total}`);
  pass += r.pass;
  total += r.total;
}
console.log(`\nheadline through the AWS endpoint: ${pass}/${total}` +
  ` (skipped: ${jsonata} JSONata, ${masked} masked, ${notPure} not pure_asl)` +
  ` in ${seconds.toFixed(1)} s, --time-scale ${timeScale}; stepwised exit ${exitCode}`);
for (const f of failures.slice(0, verbose ? failures.length : 20)) console.log(`FAIL ${f}`);
process.exit(pass === total && exitCode === 0 ? 0 : 1);
