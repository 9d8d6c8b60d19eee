#!/usr/bin/env node
// The bench's replication rows, node side: starts its own nats-server
// (JetStream, WebSocket, a temporary store, free loopback ports; stopped by
// its pid) and drives bench/jetstream.ts in a bench page. bench/run.mjs calls
// `jetstreamWorkloads` with its page; `node bench/jetstream.mjs` runs these
// rows alone, in Chromium, and prints their medians and targets (BENCH_RUNS,
// BENCH_PORT and BENCH_JETSTREAM_COUNT as in run.mjs; the catch-up backlog
// is 100k whatever the count).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findNatsServer, howToGetNatsServer } from '../scripts/nats-server.mjs';

const COUNT = Number(process.env.BENCH_JETSTREAM_COUNT ?? 100_000);
/** The backlog the catch-up row replays: the issue fixes it at 100k. */
const BACKLOG = 100_000;
const TOOLS = '/bench/jetstream.ts';
/** Which rows to measure (to try a change quickly): BENCH_JETSTREAM_ROWS=push,pull,catch-up (the default, all). */
const ROWS = new Set((process.env.BENCH_JETSTREAM_ROWS ?? 'push,pull,catch-up').split(','));

export const JETSTREAM_WORKLOADS = {
  push: 'JetStream push 100k',
  client: 'JetStream push 100k, NATS client pipelined (the limit)',
  pull: 'JetStream pull 100k',
  read: 'JetStream pull 100k, ordered consumer (the limit)',
  catchUp: 'JetStream catch-up of a 100k backlog',
};

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = netServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** A nats-server of the bench's own: started, stopped (SIGTERM) and restarted by pid on the same ports and store. */
async function natsServer() {
  let binary = findNatsServer();
  if (!binary) {
    // Installs Debian's nats-server where apt-get can, as the tests do.
    spawnSync(process.execPath, [fileURLToPath(new URL('../scripts/nats-server.mjs', import.meta.url)), '--check'], {
      stdio: 'inherit',
    });
    binary = findNatsServer();
  }
  if (!binary) throw new Error(howToGetNatsServer());
  const store = mkdtempSync(join(tmpdir(), 'opfs-log-bench-nats-'));
  const [client, ws, http] = [await freePort(), await freePort(), await freePort()];
  const config = join(store, 'nats.conf');
  writeFileSync(
    config,
    [
      `listen: 127.0.0.1:${client}`,
      `http: 127.0.0.1:${http}`,
      `jetstream { store_dir: ${JSON.stringify(store)}, max_file_store: 4GB }`,
      `websocket { listen: "127.0.0.1:${ws}", no_tls: true }`,
    ].join('\n'),
  );
  let child = null;
  const server = {
    wsUrl: `ws://127.0.0.1:${ws}`,
    async start() {
      child = spawn(binary, ['-c', config], { stdio: 'ignore' });
      const deadline = Date.now() + 30_000;
      while (
        !(await fetch(`http://127.0.0.1:${http}/healthz`).then(
          (r) => r.ok,
          () => false,
        ))
      ) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error('the bench nats-server did not start');
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      process.kill(c.pid, 'SIGTERM');
      await exited;
    },
    async dispose() {
      await server.stop();
      rmSync(store, { recursive: true, force: true });
    },
  };
  process.once('exit', () => child && process.kill(child.pid, 'SIGKILL'));
  await server.start();
  return server;
}

/** One run of the five rows, in `page` (a bench page, tools loaded). */
async function oneRun(page, server, run, say) {
  const url = server.wsUrl;
  const call = (name, ...args) =>
    page.evaluate(([tools, n, a]) => import(tools).then((m) => m[n](...a)), [TOOLS, name, args]);
  const out = [];
  const measure = async (workload, fn) => {
    const t = Date.now();
    const value = await fn();
    say(
      `run ${run} ${workload}: ${Math.round(value).toLocaleString('en')} ${workload.includes('catch-up') ? 'ms' : 'msg/s'} (${((Date.now() - t) / 1000).toFixed(1)} s)`,
    );
    return value;
  };
  const w = JETSTREAM_WORKLOADS;
  // Both pulls read what the client published: the same messages and headers as a push's.
  const subject = `bench.client-${run}`;
  out.push({
    workload: w.client,
    unit: 'msg/s',
    value: await measure(w.client, () => call('clientPublishRate', url, subject, COUNT)),
  });
  if (ROWS.has('push')) {
    out.push({
      workload: w.push,
      unit: 'msg/s',
      value: await measure(w.push, () => call('pushRate', url, `bench/js-push-${run}`, `bench.push-${run}`, COUNT)),
    });
  }
  if (ROWS.has('pull')) {
    out.push({
      workload: w.pull,
      unit: 'msg/s',
      value: await measure(w.pull, () => call('pullRate', url, `bench/js-pull-${run}`, subject, COUNT)),
    });
    out.push({
      workload: w.read,
      unit: 'msg/s',
      value: await measure(w.read, () => call('orderedReadRate', url, subject, COUNT)),
    });
  }
  if (!ROWS.has('catch-up')) return out;
  await call('backlogStart', url, `bench/js-backlog-${run}`, `bench.backlog-${run}`);
  await server.stop();
  const lag = await call('backlogPublish', BACKLOG);
  if (lag !== BACKLOG) throw new Error(`catch-up: the offline push shows lag ${lag}, expected ${BACKLOG}`);
  await server.start();
  const restartedAt = Date.now();
  const { onlineAt, doneAt } = await call('backlogCaughtUp', BACKLOG);
  const value = doneAt - restartedAt;
  say(`run ${run} ${w.catchUp}: ${value} ms after the restart (online again after ${onlineAt - restartedAt} ms)`);
  out.push({ workload: w.catchUp, unit: 'ms', value, extra: { 'from online, s': (doneAt - onlineAt) / 1000 } });
  return out;
}

/**
 * The replication rows for `runs` runs, measured in `page` (a tab on the
 * bench page); each run pushes, publishes, pulls and reads 100k messages and
 * replays a 100k backlog on a server of its own. Resolves to opfs-log's
 * measures (the limits among them, as rows of their own).
 */
export async function jetstreamWorkloads(page, { runs, say }) {
  await page.evaluate((tools) => import(tools), TOOLS);
  const server = await natsServer();
  try {
    const out = [];
    for (let run = 1; run <= runs; run++) out.push(...(await oneRun(page, server, run, say)));
    return out;
  } finally {
    await server.dispose();
  }
}

/** Alone: its own vite server and Chromium profile, the medians and the two targets printed. */
async function alone() {
  const { createServer } = await import('vite');
  const { launchBrowser } = await import('../scripts/browsers.mjs');
  const { TARGETS, evaluateTargets, median } = await import('./targets.mjs');
  const port = Number(process.env.BENCH_PORT ?? 5188);
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const vite = await createServer({
    configFile: fileURLToPath(new URL('../vite.config.ts', import.meta.url)),
    server: { port, strictPort: true, open: false, hmr: false },
    logLevel: 'error',
  });
  await vite.listen();
  const profile = mkdtempSync(join(tmpdir(), 'opfs-log-bench-'));
  const context = await launchBrowser('chromium', profile);
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => console.error('[page error]', e.message));
    await page.goto(`http://localhost:${port}/bench/index.html`);
    await page.waitForSelector('body[data-ready="yes"]', { timeout: 60_000 });
    await page.evaluate(() => window.bench.wipe());
    const measures = await jetstreamWorkloads(page, { runs, say: (...a) => console.error(...a) });
    const medians = { 'opfs-log': {} };
    for (const workload of Object.values(JETSTREAM_WORKLOADS)) {
      const list = measures.filter((m) => m.workload === workload);
      if (list.length === 0) continue;
      medians['opfs-log'][workload] = {
        value: median(list.map((m) => m.value)),
        unit: list[0].unit,
        samples: list.map((m) => m.value),
      };
      console.log(
        `${workload}: ${Math.round(medians['opfs-log'][workload].value).toLocaleString('en')} ${list[0].unit} (samples ${list.map((m) => Math.round(m.value)).join(', ')})`,
      );
    }
    const mine = new Set(Object.values(JETSTREAM_WORKLOADS));
    for (const t of evaluateTargets(
      medians,
      TARGETS.filter((x) => mine.has(x.workload)),
    )) {
      console.log(
        `target ${t.workload}: ${t.checks.map((c) => `${c.what} (${c.ratio?.toFixed(2)}×) ${c.met ? 'met' : 'MISSED'}`).join('; ')}`,
      );
    }
  } finally {
    await context.close().catch(() => undefined);
    await vite.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  alone().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
