// Shared pieces of the console's browser tests (console.test.mjs,
// operate.test.mjs): the real
// stepwised on free loopback ports with a temporary data directory and a
// bearer token, an AWS JSON client for it (AWSStepFunctions.* and the
// Stepwise.* extensions), named steps that count failures, and Debian's
// chromium driven by playwright-core with every request that leaves
// stepwised refused and reported. One test process at a time uses it.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const TOKEN = 'console-test-token-8f2b';
export const ROLE = 'arn:aws:iam::123456789012:role/stepwise';
export const OUT = process.env.SW_CONSOLE_OUT || join(process.cwd(), 'screenshots');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Named steps: each runs, prints ok/FAIL with its time, and counts failures.
export function steps() {
  const s = { failures: 0 };
  s.step = async (name, fn) => {
    const t = Date.now();
    try {
      await fn();
      console.log(`ok   ${name} (${Date.now() - t} ms)`);
    } catch (e) {
      s.failures++;
      console.log(`FAIL ${name}\n${e.stack || e}`);
    }
  };
  return s;
}

// Starts $STEPWISED with a bearer token; resolves once it listens.
export async function startStepwised() {
  const dir = mkdtempSync(join(tmpdir(), 'stepwise-console-'));
  writeFileSync(join(dir, 'tokens'), `# console test\n${TOKEN}\n`);
  const portsFile = join(dir, 'ports');
  const daemon = spawn(process.env.STEPWISED, ['--grpc-listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:0',
    '--ports-file', portsFile, '--data-dir', join(dir, 'data'), '--auth-tokens-file', join(dir, 'tokens'),
    '--log-level', 'warn'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const server = { dir, daemon, exitCode: null };
  server.exited = new Promise((r) => daemon.on('exit', (code, signal) => { server.exitCode = code ?? signal; r(); }));
  for (let i = 0; i < 400 && !existsSync(portsFile); i++) {
    if (server.exitCode !== null) throw new Error(`stepwised exited with ${server.exitCode}`);
    await sleep(50);
  }
  server.endpoint = `http://127.0.0.1:${/http=(\d+)/.exec(readFileSync(portsFile, 'utf8'))[1]}`;
  // Stops stepwised (SIGTERM, then SIGKILL) and removes its directory.
  server.stop = async () => {
    if (server.exitCode === null) {
      daemon.kill('SIGTERM');
      await Promise.race([server.exited, sleep(10000)]);
      if (server.exitCode === null) { daemon.kill('SIGKILL'); await server.exited; }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  console.log(`stepwised at ${server.endpoint}`);
  return server;
}

// An AWS JSON 1.0 client of `endpoint`: aws('StartExecution', {...}) or,
// for Stepwise's extensions, aws('Stepwise.SearchExecutions', {...}).
// Throws `${action}: ${__type}: ${message}` on an error answer.
export function awsClient(endpoint) {
  const aws = async (action, body, { signal } = {}) => {
    const target = action.includes('.') ? action : `AWSStepFunctions.${action}`;
    const r = await fetch(`${endpoint}/`, {
      method: 'POST', signal,
      headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': target, Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(body),
    });
    const j = await r.json();
    if (!r.ok) throw new Error(`${action}: ${j.__type}: ${j.message}`);
    return j;
  };
  // Waits until the execution has status `want` (fails fast on another
  // closed status).
  aws.waitStatus = async (executionArn, want, timeoutMs = 20000) => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const d = await aws('DescribeExecution', { executionArn });
      if (d.status === want) return d;
      if (d.status !== 'RUNNING' || Date.now() > end) throw new Error(`${executionArn} is ${d.status}, wanted ${want}`);
      await sleep(50);
    }
  };
  return aws;
}

// Chromium on a page of the console at `endpoint`, signed in (the token
// kept in sessionStorage) unless `signIn` is false (then on about:blank). `external` collects refused requests that left
// stepwised, `pageErrors` what the page threw; shot(name) saves a
// screenshot in OUT.
export async function openBrowser(endpoint, { signIn = true } = {}) {
  mkdirSync(OUT, { recursive: true });
  const browser = await chromium.launch({ executablePath: process.env.SW_CHROMIUM || '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const context = await browser.newContext({ viewport: { width: 1440, height: 960 } });
  const page = await context.newPage();
  const b = { browser, context, page, external: [], pageErrors: [] };
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(endpoint) || url.startsWith('data:')) return route.continue();
    b.external.push(url);
    return route.abort();
  });
  page.on('pageerror', (e) => b.pageErrors.push(String(e)));
  b.shot = (name) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: false });
  if (!signIn) return b;
  await page.goto(`${endpoint}/`);
  await page.waitForSelector('#login:not([hidden])');
  await page.fill('#token', TOKEN);
  await page.click('#login-button');
  await page.waitForSelector('#machines-table, #machines .muted');
  return b;
}
