// The in-memory peer's side of the side-by-side benchmarks: the npm package
// aws-local-stepfunctions (pinned in package-lock.json), an in-process
// interpreter with no durability, no history store and no network. Holds the
// definitions both sides run (each mirrors the C++ function named beside it)
// and the loops that drive the peer. Imported by side_by_side.mjs and
// peer_bench.mjs; everything runs on Node's one thread.
import { StateMachine } from 'aws-local-stepfunctions';

// aws-local-stepfunctions 3.x asks for Node >= 22 for Promise.withResolvers
// only; Debian 12's Node is 18/20.
if (!Promise.withResolvers) {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject;
    const promise = new this((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
}

// `n` Pass states named PREFIX0..PREFIX(n-1): cli/bench.cc PassChain (prefix
// S) and tests/bench/interpreter_bench.cc PassChain (prefix P).
export function passChain(n, prefix = 'S') {
  const states = {};
  for (let i = 0; i < n; i++) {
    states[`${prefix}${i}`] = i + 1 < n ? { Type: 'Pass', Next: `${prefix}${i + 1}` }
                                        : { Type: 'Pass', End: true };
  }
  return { StartAt: `${prefix}0`, States: states };
}

// `n` Choice states, each testing two fields, then Succeed:
// tests/bench/interpreter_bench.cc ChoiceChain.
export function choiceChain(n) {
  const states = {};
  for (let i = 0; i < n; i++) {
    const next = i + 1 === n ? 'Done' : `C${i + 1}`;
    states[`C${i}`] = {
      Type: 'Choice',
      Choices: [{
        And: [{ Variable: '$.order.customer.tier', StringEquals: 'gold' },
              { Variable: '$.order.total', NumericGreaterThan: 100 }],
        Next: next,
      }],
      Default: 'Done',
    };
  }
  states.Done = { Type: 'Succeed' };
  return { StartAt: 'C0', States: states };
}

// `n` Task states on activity `arn`: cli/bench.cc ActivityChain.
export function activityChain(arn, n) {
  const states = {};
  for (let i = 0; i < n; i++) {
    states[`T${i}`] = i + 1 < n ? { Type: 'Task', Resource: arn, Next: `T${i + 1}` }
                                : { Type: 'Task', Resource: arn, End: true };
  }
  return { StartAt: 'T0', States: states };
}

// Runs `concurrency` loops for `seconds`, each running one execution after
// another on makeInput(id); `check(output, id)` throws when an execution did
// not produce what the chain must (so a no-op run cannot count). Returns
// executions per second and the process CPU (user + system) per execution
// in microseconds.
export async function driveInMemory(definition, overrides, seconds, concurrency, makeInput, check) {
  const machine = new StateMachine(definition);
  const end = performance.now() + seconds * 1000;
  let executions = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  const loop = async (loopId) => {
    let n = 0;
    while (performance.now() < end) {
      const id = loopId * 1e9 + n++;
      const { result } = machine.run(makeInput(id), { overrides });
      check(await result, id);
      executions++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => loop(i)));
  const cpu = process.cpuUsage(cpu0);
  const elapsed = (performance.now() - start) / 1000;
  return {
    executions,
    seconds: elapsed,
    executions_per_s: executions / elapsed,
    cpu_us_per_execution: executions ? (cpu.user + cpu.system) / executions : 0,
  };
}
