#!/usr/bin/env node
// `node scripts/unzip.mjs [--check]`: makes sure Info-ZIP's `unzip` is there
// for the browser tier, which lists the archives the demo downloads with
// `unzip -l` (tests/browser/archive.spec.ts). Where it is missing and apt-get
// is usable (root, or passwordless sudo) it installs Debian's `unzip`.
// Otherwise it only warns: the tests then read the archives with a zip
// library in Node instead. `--check` prints nothing when all is well.
import { spawnSync } from 'node:child_process';

const check = process.argv.includes('--check');

function succeeds(cmd, args) {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

function hasUnzip() {
  return succeeds('sh', ['-c', 'command -v unzip']);
}

/** `[]` when we are root, `['sudo', '-n']` with passwordless sudo, else null. */
function aptPrefix() {
  if (!succeeds('sh', ['-c', 'command -v apt-get'])) return null;
  if (process.getuid?.() === 0) return [];
  if (succeeds('sudo', ['-n', 'true'])) return ['sudo', '-n'];
  return null;
}

function apt(prefix, ...args) {
  const argv = [...prefix, 'apt-get', ...args];
  console.error(`$ ${argv.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  return spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'], env }).status === 0;
}

if (!hasUnzip()) {
  const prefix = aptPrefix();
  if (prefix) {
    console.error("unzip not found; installing Debian's unzip with apt-get.");
    if (!apt(prefix, 'install', '-y', 'unzip')) apt(prefix, 'update') && apt(prefix, 'install', '-y', 'unzip');
  }
  if (!hasUnzip()) {
    console.error('unzip not found (install it, e.g. `sudo apt-get install -y unzip`); the archive tests will check archives with a zip library instead.');
  }
}
if (!check && hasUnzip()) console.log(spawnSync('sh', ['-c', 'command -v unzip'], { encoding: 'utf8' }).stdout.trim());
