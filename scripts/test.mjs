#!/usr/bin/env node
/**
 * `npm test`: the checks and the unit tier (`npm run lint`, `check:layers`,
 * `typecheck`, `size`, `test:unit`, one after the other, stopping at the first
 * that fails) in one lane, and beside it the browser tier (`npm run
 * test:browser`), which needs nothing of them. Exits non-zero if either lane
 * failed.
 *
 * Why beside: the browser tier is most of the run and its tests mostly wait
 * on their browsers, while the checks and vitest keep one core busy (vitest
 * runs one worker on 2 cores). In series on CI's 2-core machine they added
 * ~60 s before the browser tier started; beside it they fill the CPU it
 * leaves idle.
 *
 * The browser tier prints as it goes; the checks lane's output is held and
 * printed in one block when that lane ends (a failure in it shows then, not
 * at the end of the browser tier).
 *
 *   node scripts/test.mjs   (npm test)
 */
import { spawn } from 'node:child_process';

const CHECKS = ['lint', 'check:layers', 'typecheck', 'size', 'test:unit'];

/** Runs `npm run <script>`; resolves to its exit code. Output goes to `out` if given, else to ours. */
function npmRun(script, out) {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', script], { stdio: out ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    children.add(child);
    if (out) {
      child.stdout.on('data', (chunk) => out.push(chunk));
      child.stderr.on('data', (chunk) => out.push(chunk));
    }
    child.on('error', (err) => {
      out?.push(Buffer.from(`${script}: ${err.message}\n`));
      resolve(1);
    });
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

const children = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of children) child.kill(signal);
    process.exitCode = 1;
  });
}

async function checksLane() {
  const out = [];
  let code = 0;
  for (const script of CHECKS) {
    code = await npmRun(script, out);
    if (code !== 0) {
      out.push(Buffer.from(`\nnpm run ${script} failed (exit ${code}); the checks after it did not run\n`));
      break;
    }
  }
  process.stdout.write(`\n──── checks and unit tier (${CHECKS.join(', ')}; run beside the browser tier) ────\n`);
  process.stdout.write(Buffer.concat(out));
  process.stdout.write(`──── checks and unit tier: ${code === 0 ? 'passed' : 'FAILED'} ────\n\n`);
  return code;
}

const [checks, browser] = await Promise.all([checksLane(), npmRun('test:browser')]);
if (checks !== 0) console.log(`npm test: the checks or the unit tier failed (exit ${checks})`);
if (browser !== 0) console.log(`npm test: the browser tier failed (exit ${browser})`);
process.exitCode = checks !== 0 || browser !== 0 ? 1 : (process.exitCode ?? 0);
