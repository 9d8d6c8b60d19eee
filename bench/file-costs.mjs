#!/usr/bin/env node
// What a closed segment file costs to read, each way the pool can read one
// (src/segment/file-pool.ts), and what a new one costs to make:
// `node bench/file-costs.mjs [chromium|firefox ...]`. Per browser, three runs
// over 200 files of 1 MiB on a persistent profile; prints each figure's
// median in milliseconds (BENCHMARKS.md, "What a random read pays" and
// "What a new segment file costs").
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'vite';
import { launchBrowser } from '../scripts/browsers.mjs';
import { median } from './targets.mjs';

const FILES = 200;
const RUNS = 3;
const browsers = process.argv.slice(2).length ? process.argv.slice(2) : ['chromium', 'firefox'];
const port = Number(process.env.BENCH_PORT ?? 5189);
const server = await createServer({
  configFile: false,
  root: new URL('./file-costs/', import.meta.url).pathname,
  server: { port, strictPort: true, hmr: false },
  logLevel: 'error',
});
await server.listen();
try {
  for (const name of browsers) {
    const profile = mkdtempSync(join(tmpdir(), 'opfs-log-file-costs-'));
    // Firefox rounds performance.now() to 1 ms unless told not to (as bench/run.mjs does).
    const prefs = name === 'firefox' ? { firefoxUserPrefs: { 'privacy.reduceTimerPrecision': false } } : {};
    const context = await launchBrowser(name, profile, { baseURL: `http://localhost:${port}`, ...prefs });
    try {
      const page = await context.newPage();
      await page.goto('/index.html');
      const runs = [];
      for (let r = 0; r < RUNS; r++) runs.push(await page.evaluate((n) => window.measure(n), FILES));
      const figures = Object.keys(runs[0]).filter((k) => k !== 'files' && k !== 'closed');
      const ms = Object.fromEntries(figures.map((k) => [k, Number(median(runs.map((r) => r[k])).toFixed(3))]));
      console.log(name, JSON.stringify(ms), `load ${loadavg()[0].toFixed(1)}`);
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }
} finally {
  await server.close();
}
