// The peer's figures for bench/side_by_side.sh: runs the pinned
// aws-local-stepfunctions in this process on the same definitions and input
// as Stepwise's figures and prints one JSON object:
//   pass_chain_10: {concurrency C: executions/s, transitions/s} for each C in
//     --concurrency (10-state Pass chain, cli/bench.cc's definition);
//   cpu_per_step: CPU µs per Pass and per Choice step at concurrency 1 on
//     interpreter_bench's 100-state Pass and Choice chains (process CPU per
//     execution ÷ steps; the run's own set-up included, as Start() is in
//     interpreter_bench).
// Every run gets the parsed input object (the peer is a library; parsing is
// not counted) and its output is checked to be the input (Pass) or the
// input (Choice → Succeed).
// Usage: node peer_bench.mjs --input FILE [--seconds S] [--concurrency 1,64]
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { passChain, choiceChain, driveInMemory } from './peer.mjs';

function parseArgs(argv) {
  const args = { input: '', seconds: 5, concurrency: '1,64' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in args) || argv[i + 1] === undefined) throw new Error(`bad flag ${argv[i]}`);
    args[key] = key === 'seconds' ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!args.input) throw new Error('--input FILE is required');
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const text = readFileSync(args.input, 'utf8');
  const input = JSON.parse(text);
  // The first output of each definition is compared in full; later ones by
  // identity of a member (the full comparison would be timed too).
  const checker = () => {
    let first = true;
    return (output) => {
      if (first ? !isDeepStrictEqual(output, input) : output?.order?.id !== input.order?.id) {
        throw new Error(`peer returned ${JSON.stringify(output).slice(0, 200)}`);
      }
      first = false;
    };
  };
  const out = { peer: 'aws-local-stepfunctions', input_bytes: Buffer.byteLength(text),
                node: process.version, pass_chain_10: {}, cpu_per_step: {} };
  for (const c of args.concurrency.split(',').map(Number)) {
    const r = await driveInMemory(passChain(10), undefined, args.seconds, c, () => input, checker());
    out.pass_chain_10[c] = { ...r, transitions_per_s: r.executions_per_s * 10 };
  }
  const pass = await driveInMemory(passChain(100, 'P'), undefined, args.seconds, 1, () => input,
                                   checker());
  out.cpu_per_step.pass_us = pass.cpu_us_per_execution / 100;
  // 100 Choice steps and the Succeed.
  const choice = await driveInMemory(choiceChain(100), undefined, args.seconds, 1, () => input,
                                     checker());
  out.cpu_per_step.choice_us = choice.cpu_us_per_execution / 101;
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(`peer_bench: ${e.message}`);
  process.exit(1);
});
