#!/usr/bin/env node
// The consumer tier: packs opfs-log once, installs the tarball into each small
// app under tests/consumers/<name>/ (described by its consumer.json) and proves
// the package works there as a user would get it: in Chromium through that
// app's own bundler and server, or with a `check` command (Node, tsc).
//
//   node tests/consumers/run.mjs [name …]      (npm run test:consumers)
//
// Prints one line per consumer, then "consumers: N passed, M failed"; writes
// { passed, failed, results: [{ name, title, ok, ms, error? }] } to
// $CONSUMERS_JSON_OUTPUT if set; exits non-zero if any consumer failed.
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../../scripts/browsers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const SELF_TEST = join(here, 'self-test.ts');
const SERVER_READY_MS = 60_000;
const SELF_TEST_MS = 60_000;
const STOP_MS = 5_000;
const OUTPUT_TAIL = 40; // lines of a failed command's output shown

/** What the consumers' commands see: the app's own tools first, none of ours, no npm state of the root's `npm run`. */
function appEnv(app) {
  const ownBins = join(root, 'node_modules', '.bin');
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    if (lower.startsWith('npm_package_') || lower.startsWith('npm_lifecycle_') || lower === 'npm_config_local_prefix')
      continue;
    if (lower === 'init_cwd' || lower === 'npm_command') continue;
    env[key] = value;
  }
  const path = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir !== ownBins && !dir.startsWith(join(root, 'node_modules')));
  env.PATH = [join(app, 'node_modules', '.bin'), ...path].join(delimiter);
  return env;
}

/** Runs a shell command to its end; resolves to { code, output } (stdout and stderr interleaved). */
function run(command, cwd, env = appEnv(cwd)) {
  return new Promise((resolve) => {
    const child = spawn(command, { cwd, env, shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (err) => resolve({ code: -1, output: output + String(err) }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? `signal ${signal}` : -1), output }));
  });
}

function tail(output, lines = OUTPUT_TAIL) {
  const all = output.trimEnd().split('\n');
  return (all.length > lines ? [`… (${all.length - lines} lines above)`, ...all.slice(-lines)] : all).join('\n');
}

/** Runs a command that must exit 0; throws with its output's tail if it does not. */
async function mustRun(what, command, cwd) {
  const { code, output } = await run(command, cwd);
  if (code !== 0) throw new Error(`${what} (\`${command}\`) exited ${code}:\n${tail(output)}`);
  return output;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The package, packed once as a user's `npm install` would get it (prepack builds dist/). */
async function pack(dest) {
  await mustRun('npm pack', `npm pack --pack-destination "${dest}"`, root);
  const tarballs = readdirSync(dest).filter((file) => file.endsWith('.tgz'));
  if (tarballs.length !== 1) throw new Error(`npm pack made ${tarballs.length} tarballs in ${dest}`);
  return join(dest, tarballs[0]);
}

/** The server running now, stopped also when the tier is interrupted (it runs in a group of its own). */
let running = null;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (running) killGroup(running, 'SIGKILL');
    process.exit(130);
  });
}

function killGroup(server, signal) {
  try {
    process.kill(-server.child.pid, signal);
  } catch {
    // the group is gone already
  }
}

/** Starts the app's server in a process group of its own, so that stopping it stops its children too. */
function startServer(command, cwd) {
  const child = spawn(command, {
    cwd,
    env: appEnv(cwd),
    shell: true,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const server = { child, output: '', exited: null };
  running = server;
  child.stdout.on('data', (chunk) => (server.output += chunk));
  child.stderr.on('data', (chunk) => (server.output += chunk));
  server.done = new Promise((resolve) => {
    child.on('error', (err) => {
      server.output += String(err);
      server.exited ??= 'error';
      resolve();
    });
    child.on('exit', (code, signal) => {
      server.exited = code ?? signal;
      resolve();
    });
  });
  return server;
}

async function stopServer(server) {
  killGroup(server, 'SIGTERM');
  await Promise.race([server.done, sleep(STOP_MS)]);
  // The shell may have exited while its children linger in the group: make sure they go too.
  killGroup(server, 'SIGKILL');
  running = null;
}

/** Waits until `url` answers 200, or throws when the server exits or the time is up. */
async function waitForServer(server, url) {
  const deadline = Date.now() + SERVER_READY_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (server.exited !== null)
      throw new Error(`the server exited (${server.exited}) before ${url} answered:\n${tail(server.output)}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      if (response.status === 200) return;
      last = `HTTP ${response.status}`;
    } catch (err) {
      last = String(err.cause?.code ?? err.message ?? err);
    }
    await sleep(250);
  }
  throw new Error(
    `${url} did not answer 200 within ${SERVER_READY_MS / 1000} s (last: ${last}):\n${tail(server.output)}`,
  );
}

/** Loads the page in a fresh Chromium profile and resolves to its window.selfTest. */
async function selfTestInChromium(url) {
  const profile = mkdtempSync(join(tmpdir(), 'opfs-log-consumer-profile-'));
  const consoleLines = [];
  let context;
  try {
    context = await launchBrowser('chromium', profile);
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => consoleLines.push(`[${message.type()}] ${message.text()}`));
    page.on('pageerror', (err) => consoleLines.push(`[pageerror] ${err.stack ?? err.message}`));
    page.on('requestfailed', (request) =>
      consoleLines.push(`[requestfailed] ${request.url()}: ${request.failure()?.errorText}`),
    );
    page.on('response', (response) => {
      if (response.status() >= 400) consoleLines.push(`[HTTP ${response.status()}] ${response.url()}`);
    });
    await page.goto(url);
    try {
      await page.waitForFunction(() => window.selfTest !== undefined, undefined, { timeout: SELF_TEST_MS });
    } catch {
      return { ok: false, error: `window.selfTest was not set within ${SELF_TEST_MS / 1000} s`, consoleLines };
    }
    const result = await page.evaluate(() => window.selfTest);
    if (result?.ok === true) return { ok: true, consoleLines };
    const error = `self-test failed after steps [${(result?.steps ?? []).join(', ')}]: ${result?.error ?? JSON.stringify(result)}`;
    return { ok: false, error, consoleLines };
  } finally {
    await context?.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
}

async function servePage(config, app) {
  const port = await freePort();
  const url = `http://localhost:${port}${config.page ?? '/'}`;
  const server = startServer(config.serve.replaceAll('{port}', String(port)), app);
  try {
    await waitForServer(server, url);
    const result = await selfTestInChromium(url);
    if (!result.ok) {
      const logs = result.consoleLines.length ? result.consoleLines.join('\n') : '(nothing)';
      throw new Error(`${result.error}\nbrowser console:\n${tail(logs)}\nserver output:\n${tail(server.output, 15)}`);
    }
  } finally {
    await stopServer(server);
  }
}

/** One consumer, from install to verdict; throws with what went wrong. */
async function runConsumer(name, config, tarball) {
  const app = join(here, name);
  if (existsSync(join(app, 'src')) && statSync(join(app, 'src')).isDirectory())
    copyFileSync(SELF_TEST, join(app, 'src', 'self-test.ts'));
  if (!existsSync(join(app, 'package-lock.json'))) {
    throw new Error(
      `no package-lock.json: make one with \`npm install --package-lock-only\` in ${relative(root, app)}`,
    );
  }
  const ci = await run('npm ci --no-audit --no-fund', app);
  if (ci.code !== 0) {
    throw new Error(
      `npm ci failed (exit ${ci.code}); is ${relative(root, app)}/package-lock.json in step with its package.json? ` +
        `(\`npm install --package-lock-only\` there)\n${tail(ci.output)}`,
    );
  }
  await mustRun('installing the tarball', `npm install --no-save --no-audit --no-fund "${tarball}"`, app);
  for (const step of config.steps ?? []) await mustRun('step', step, app);
  if (config.check) await mustRun('check', config.check, app);
  else await servePage(config, app);
}

function readConsumers(only) {
  const names = readdirSync(here)
    .filter((name) => existsSync(join(here, name, 'consumer.json')))
    .sort();
  const unknown = only.filter((name) => !names.includes(name));
  if (unknown.length) {
    console.error(`no such consumer: ${unknown.join(', ')} (there are: ${names.join(', ')})`);
    process.exit(2);
  }
  return names.filter((name) => only.length === 0 || only.includes(name));
}

function configOf(name) {
  const config = JSON.parse(readFileSync(join(here, name, 'consumer.json'), 'utf8'));
  if (!config.check && !config.serve) throw new Error('consumer.json has neither `check` nor `serve`');
  return config;
}

async function main() {
  const started = Date.now();
  const names = readConsumers(process.argv.slice(2));
  const packDir = mkdtempSync(join(tmpdir(), 'opfs-log-pack-'));
  const results = [];
  try {
    let tarball = null;
    let packError = null;
    try {
      tarball = await pack(packDir);
      console.log(`packed ${basename(tarball)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (err) {
      packError = err;
    }
    for (const name of names) {
      const t0 = Date.now();
      let title = name;
      let error;
      try {
        if (packError) throw packError;
        const config = configOf(name);
        title = config.title ?? name;
        await runConsumer(name, config, tarball);
      } catch (err) {
        error = String(err?.message ?? err);
      }
      const ms = Date.now() - t0;
      results.push({ name, title, ok: !error, ms, ...(error ? { error } : {}) });
      console.log(`${error ? '✗' : '✓'} ${name}: ${title} (${(ms / 1000).toFixed(1)} s)`);
      if (error) console.log(error.replace(/^/gm, '    '));
    }
  } finally {
    rmSync(packDir, { recursive: true, force: true });
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  console.log(`consumer tier took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`consumers: ${passed} passed, ${failed} failed`);
  if (process.env.CONSUMERS_JSON_OUTPUT)
    writeFileSync(process.env.CONSUMERS_JSON_OUTPUT, JSON.stringify({ passed, failed, results }, null, 2));
  process.exit(failed > 0 || results.length === 0 ? 1 : 0);
}

await main();
