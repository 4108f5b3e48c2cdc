// Side by side: the same state machines on stepwised (durable: every
// transition is in a synced RocksDB write before it is observed) and on the
// npm package aws-local-stepfunctions (an in-memory interpreter, no
// durability), each driven for --duration seconds by --concurrency
// concurrent loops that start an execution and wait for its end. Prints one
// line per workload and the throughput ratio (stepwised / in-memory).
//
// stepwised's side is `stepwise bench` (cli/bench.cc) over gRPC, against
// --endpoint, or against a stepwised this script starts on a scratch data
// directory when --stepwised PATH is given.
//
// The peer's side and the definitions are in peer.mjs (bench/side_by_side.sh
// uses them through peer_bench.mjs).
//
// Usage:
//   npm ci
//   node side_by_side.mjs --stepwise build/ops-rel/cli/stepwise \
//       --stepwised build/ops-rel/server/stepwised [--duration 5] [--concurrency 16]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { passChain, activityChain, driveInMemory } from './peer.mjs';

function parseArgs(argv) {
  const args = { duration: 5, concurrency: 16, workers: 16, endpoint: '' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in args) && !['stepwise', 'stepwised'].includes(key)) {
      throw new Error(`unknown flag ${argv[i]}`);
    }
    args[key] = ['duration', 'concurrency', 'workers'].includes(key) ? Number(argv[i + 1])
                                                                      : argv[i + 1];
  }
  if (!args.stepwise) throw new Error('--stepwise PATH (the stepwise CLI) is required');
  if (!args.endpoint && !args.stepwised) throw new Error('--endpoint or --stepwised is required');
  return args;
}

// Every state passes its input through: a wrong output means the
// interpreter did not run the chain.
const idInput = (id) => ({ id });
function checkId(output, id) {
  if (output?.id !== id) throw new Error(`in-memory run returned ${JSON.stringify(output)}`);
}

async function startStepwised(path) {
  const dir = mkdtempSync(join(tmpdir(), 'side-by-side-'));
  const ports = join(dir, 'ports');
  const child = spawn(path, ['--data-dir', join(dir, 'data'), '--grpc-listen', '127.0.0.1:0',
                             '--http-listen', '127.0.0.1:0', '--ports-file', ports,
                             '--log-level', 'warn'],
                      { stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 300 && !existsSync(ports); i++) await new Promise((r) => setTimeout(r, 50));
  const grpc = /grpc=(\d+)/.exec(readFileSync(ports, 'utf8'))[1];
  return { endpoint: `127.0.0.1:${grpc}`, pid: child.pid, child, dir };
}

function benchStepwise(args, endpoint, pid, workload) {
  const out = execFileSync(args.stepwise,
                           ['bench', '--workload', workload, '--duration', String(args.duration),
                            '--concurrency', String(args.concurrency),
                            '--workers', String(args.workers), '--endpoint', endpoint,
                            ...(pid ? ['--server-pid', String(pid)] : [])],
                           { encoding: 'utf8' });
  return JSON.parse(out);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  let server = null;
  let endpoint = args.endpoint;
  if (args.stepwised) {
    server = await startStepwised(args.stepwised);
    endpoint = server.endpoint;
  }
  const rows = [];
  try {
    // 10-state Pass chain.
    const sw = benchStepwise(args, endpoint, server?.pid, 'pass-chain').pass_chain_10;
    const mem = (await driveInMemory(passChain(10), undefined, args.duration, args.concurrency,
                                     idInput, checkId)).executions_per_s;
    rows.push(['pass_chain_10', sw.executions_per_s, mem, sw.errors]);
    // 3 activity tasks: stepwised's are done by `--workers` gRPC workers;
    // the in-memory run's by a local function returning its input.
    const arn = 'arn:aws:states:us-east-1:123456789012:activity:side-by-side';
    const handlers = { T0: async (i) => i, T1: async (i) => i, T2: async (i) => i };
    const swa = benchStepwise(args, endpoint, server?.pid, 'activity').activity_3;
    const mema = (await driveInMemory(activityChain(arn, 3), { taskResourceLocalHandlers: handlers },
                                      args.duration, args.concurrency, idInput,
                                      checkId)).executions_per_s;
    rows.push(['activity_3', swa.executions_per_s, mema, swa.errors]);
  } finally {
    if (server) {
      server.child.kill('SIGTERM');
      await new Promise((r) => server.child.once('exit', r));
      rmSync(server.dir, { recursive: true, force: true });
    }
  }
  console.log(`concurrency ${args.concurrency}, ${args.duration} s per run, executions/s`);
  console.log('workload        stepwised (durable)  aws-local-stepfunctions (memory)  ratio');
  const result = {};
  for (const [name, sw, mem, errors] of rows) {
    const ratio = sw / mem;
    console.log(`${name.padEnd(16)}${sw.toFixed(0).padStart(19)}  ${mem.toFixed(0).padStart(32)}  ` +
                `${ratio.toFixed(2).padStart(5)}x${errors ? `  (${errors} stepwised errors)` : ''}`);
    result[name] = { stepwised_per_s: sw, in_memory_per_s: mem, ratio };
  }
  console.log(JSON.stringify(result));
}

main().catch((e) => {
  console.error(`side_by_side: ${e.message}`);
  process.exit(1);
});
