// The figures of bench/side_by_side.sh, put side by side: reads the raw JSON
// files one run wrote into RAW_DIR (peer.json from peer_bench.mjs,
// interpreter.json from interpreter_bench --benchmark_format=json, and one
// `stepwise bench` object per Stepwise figure, run.json for the run's own
// facts), prints a Markdown table of the figures and, as its LAST line, one
// JSON object whose keys are issue 21's (ratios are Stepwise ÷ peer, higher
// is better). A figure whose file is missing is null in the JSON and "–" in
// the table. Plain Node, no packages; single-threaded script.
// Usage: node side_by_side_summary.mjs RAW_DIR
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node side_by_side_summary.mjs RAW_DIR');
  process.exit(2);
}
const read = (name) => {
  const p = join(dir, name);
  return existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : null;
};
const run = read('run.json') ?? {};
const peer = read('peer.json');
const interp = read('interpreter.json');
const standard = read('standard.json')?.pass_chain_10;
const express = read('express.json')?.express_sync_10;
const start1k = read('start_1k.json')?.start_only;
const activity16 = read('activity_16.json')?.activity_3;
const activityRt = read('activity_round_trip.json')?.activity_3;
const payload = read('payload_64k.json')?.pass_chain_10;
const parked = read('parked.json')?.parked;

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const ratio = (a, b) => (num(a) !== null && num(b) ? a / b : null);
const round = (v, digits) => (v === null ? null : Number(v.toFixed(digits)));

// interpreter_bench: the median aggregate when repeated, else the one run.
function interpreterUs(name) {
  const rows = (interp?.benchmarks ?? []).filter((b) => b.run_name === name || b.name === name);
  const row = rows.find((b) => b.aggregate_name === 'median') ??
              rows.find((b) => b.run_type === 'iteration');
  return num(row?.['us/step']);
}
const swPassUs = interpreterUs('BM_PassChain');
const swChoiceUs = interpreterUs('BM_ChoiceChain');
const peerPassUs = num(peer?.cpu_per_step?.pass_us);
const peerChoiceUs = num(peer?.cpu_per_step?.choice_us);
const peer1 = num(peer?.pass_chain_10?.['1']?.transitions_per_s);
const peer64 = num(peer?.pass_chain_10?.['64']?.transitions_per_s);
const passRatio = ratio(peerPassUs, swPassUs);      // CPU: peer ÷ Stepwise
const choiceRatio = ratio(peerChoiceUs, swChoiceUs);
const interpreterRatio = passRatio === null || choiceRatio === null ? null
                                                                    : Math.min(passRatio, choiceRatio);

// RSS with 1,000,000 parked: measured when the run parked that many, else
// the server's RSS after parking N plus the growth per execution over the
// second half of the N (the marginal cost, past the warm-up) times
// 1,000,000 − N: a linear extrapolation, labelled so.
const parkedCount = num(parked?.executions);
let parkedRssMib = null;
let parkedExtrapolated = null;
if (parkedCount && num(parked?.server_rss_after_kb) !== null) {
  parkedExtrapolated = parkedCount < 1000000;
  const perExecution = num(parked.server_rss_kb_per_execution_second_half) ??
                       parked.server_rss_kb_per_execution;
  const kb = parkedExtrapolated
    ? parked.server_rss_after_kb + perExecution * (1000000 - parkedCount)
    : parked.server_rss_after_kb;
  parkedRssMib = kb / 1024;
}
const errors = [standard, express, start1k, activity16, activityRt, payload, parked]
  .reduce((n, f) => n + (num(f?.errors) ?? 0), 0);

const result = {
  interpreter_cpu_ratio: round(interpreterRatio, 2),
  standard_transitions_ratio: round(ratio(standard?.transitions_per_s, peer64), 3),
  express_sync_ratio: round(ratio(express?.transitions_per_s, peer64), 3),
  start_p50_ms_at_1k: round(num(start1k?.start_execution_latency?.p50_ms), 3),
  start_p99_ms_at_1k: round(num(start1k?.start_execution_latency?.p99_ms), 3),
  activity_tasks_per_s: round(num(activity16?.tasks_per_s), 0),
  activity_round_trip_p50_ms: round(num(activityRt?.activity_round_trip?.p50_ms), 3),
  payload_64k_transitions_per_s: round(num(payload?.transitions_per_s), 0),
  parked_1m_rss_mib: round(parkedRssMib, 0),
  parked_1m_rss_extrapolated: parkedExtrapolated,
  parked_executions_measured: parkedCount,
  parked_rss_kib_per_execution: round(num(parked?.server_rss_kb_per_execution_second_half) ??
                                      num(parked?.server_rss_kb_per_execution), 2),
  interpreter_pass_cpu_ratio: round(passRatio, 2),
  interpreter_choice_cpu_ratio: round(choiceRatio, 2),
  interpreter_pass_us: round(swPassUs, 3),
  interpreter_choice_us: round(swChoiceUs, 3),
  peer_pass_us: round(peerPassUs, 3),
  peer_choice_us: round(peerChoiceUs, 3),
  standard_transitions_per_s: round(num(standard?.transitions_per_s), 0),
  express_sync_transitions_per_s: round(num(express?.transitions_per_s), 0),
  peer_transitions_per_s_c1: round(peer1, 0),
  peer_transitions_per_s_c64: round(peer64, 0),
  server_cpu_us_per_transition: round(num(standard?.server_cpu_us_per_transition), 1),
  stepwise_errors: errors,
  input_bytes: run.input_bytes ?? null,
  seconds_per_figure: run.seconds ?? null,
  mode: run.mode ?? null,
  commit: run.commit ?? null,
  date: run.date ?? null,
  load_before: run.load_before ?? null,
  load_after: run.load_after ?? null,
};

const f = (v, digits = 0) => (num(v) === null ? '–'
  : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
const x = (v, digits = 2) => (num(v) === null ? '–' : `${f(v, digits)}×`);
const rows = [
  ['Pass step, CPU µs per state (interpreter alone)', f(swPassUs, 2), f(peerPassUs, 2), x(passRatio)],
  ['Choice step, CPU µs per state (interpreter alone)', f(swChoiceUs, 2), f(peerChoiceUs, 2),
   x(choiceRatio)],
  ['10-state Pass chains, transitions/s, 64 callers (Stepwise: Standard, durable, gRPC)',
   f(standard?.transitions_per_s), f(peer64), x(result.standard_transitions_ratio)],
  ['10-state Pass chains, Express StartSyncExecution over gRPC, 64 callers: transitions/s',
   f(express?.transitions_per_s), f(peer64), x(result.express_sync_ratio)],
  ['peer, one caller: transitions/s', '', f(peer1), ''],
  ['StartExecution at 1,000/s, 16 callers: p50 / p99 ms',
   `${f(result.start_p50_ms_at_1k, 2)} / ${f(result.start_p99_ms_at_1k, 2)}`, '–', ''],
  ['activity tasks/s, 16 workers, 64 callers', f(result.activity_tasks_per_s), '–', ''],
  ['activity round trip p50 ms, one idle worker', f(result.activity_round_trip_p50_ms, 2), '–', ''],
  ['64 KiB input, 10-state Pass chains, 64 callers, durable: transitions/s',
   f(result.payload_64k_transitions_per_s), '–', ''],
  [parkedExtrapolated === null ? 'RSS MiB with 1,000,000 parked on activity tasks'
    : parkedExtrapolated
      ? `RSS MiB with 1,000,000 parked on activity tasks (extrapolated from ${f(parkedCount)})`
      : 'RSS MiB with 1,000,000 parked on activity tasks (measured)',
   f(parkedRssMib), '–', ''],
];
console.log('| figure | Stepwise | peer | ratio |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log(`load average before ${run.load_before ?? '?'}, after ${run.load_after ?? '?'}; ` +
            `${run.seconds ?? '?'} s per figure; input ${run.input_bytes ?? '?'} bytes; ` +
            `Stepwise errors ${errors}`);
console.log(JSON.stringify(result));
