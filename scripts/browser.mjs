#!/usr/bin/env node
// `node scripts/chromium.mjs [--check]`: makes sure a Chromium is there for the
// browser tier and prints its path. Where none is found and apt-get is usable
// (root, or passwordless sudo), it installs Debian's `chromium`; otherwise it
// exits non-zero saying how to get one. `--check` only changes the output:
// the path goes to stderr so that scripts chaining on it stay quiet.
import { spawnSync } from 'node:child_process';
import { findChromium, howToGetChromium } from './chromium-path.mjs';

const check = process.argv.includes('--check');

function run(cmd, args) {
  console.error(`$ ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return r.status === 0;
}

function succeeds(cmd, args) {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

/** `[]` when we are root, `['sudo', '-n']` with passwordless sudo, else null. */
function aptPrefix() {
  if (!succeeds('sh', ['-c', 'command -v apt-get'])) return null;
  if (process.getuid?.() === 0) return [];
  if (succeeds('sudo', ['-n', 'true'])) return ['sudo', '-n'];
  return null;
}

function install() {
  if (process.env.CHROMIUM_PATH) return false; // the user chose a browser; don't install another
  const prefix = aptPrefix();
  if (!prefix) return false;
  console.error("Chromium not found; installing Debian's chromium with apt-get.");
  const apt = (...args) => {
    const argv = [...prefix, 'apt-get', ...args];
    return run(argv[0], argv.slice(1));
  };
  return apt('update') && apt('install', '-y', 'chromium');
}

let path = findChromium();
if (!path && install()) path = findChromium();
if (!path) {
  console.error(howToGetChromium());
  process.exit(1);
}
if (check) console.error(`chromium: ${path}`);
else console.log(path);
