#!/usr/bin/env node
// `node scripts/browser.mjs [--check] [chromium] [firefox]`: makes sure each
// named browser (both when none is named) is there for the browser tier and
// prints its path. Where one is missing and apt-get is usable (root, or
// passwordless sudo), it installs Debian's package (`chromium`,
// `firefox-esr`); otherwise it exits non-zero saying how to get it.
// `--check` only changes the output: paths go to stderr, so that scripts
// chaining on it stay quiet.
import { spawnSync } from 'node:child_process';
import { BROWSERS, BROWSER_NAMES, findBrowser, howToGetBrowser } from './browsers.mjs';

const args = process.argv.slice(2);
const check = args.includes('--check');
const names = args.filter((a) => a !== '--check');
for (const name of names) {
  if (!BROWSER_NAMES.includes(name)) {
    console.error(`unknown browser "${name}": expected ${BROWSER_NAMES.join(' and/or ')}`);
    process.exit(2);
  }
}

function run(cmd, argv) {
  console.error(`$ ${[cmd, ...argv].join(' ')}`);
  const r = spawnSync(cmd, argv, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return r.status === 0;
}

function succeeds(cmd, argv) {
  return spawnSync(cmd, argv, { stdio: 'ignore' }).status === 0;
}

/** `[]` when we are root, `['sudo', '-n']` with passwordless sudo, else null. */
function aptPrefix() {
  if (!succeeds('sh', ['-c', 'command -v apt-get'])) return null;
  if (process.getuid?.() === 0) return [];
  if (succeeds('sudo', ['-n', 'true'])) return ['sudo', '-n'];
  return null;
}

let updated = false;
function install(name) {
  const { title, env, aptPackage } = BROWSERS[name];
  if (process.env[env]) return false; // the user chose a browser; don't install another
  const prefix = aptPrefix();
  if (!prefix) return false;
  console.error(`${title} not found; installing Debian's ${aptPackage} with apt-get.`);
  const apt = (...argv) => {
    const full = [...prefix, 'apt-get', ...argv];
    return run(full[0], full.slice(1));
  };
  if (!updated && !apt('update')) return false;
  updated = true;
  return apt('install', '-y', aptPackage);
}

let failed = false;
for (const name of names.length ? names : BROWSER_NAMES) {
  let path = findBrowser(name);
  if (!path && install(name)) path = findBrowser(name);
  if (!path) {
    console.error(howToGetBrowser(name));
    failed = true;
  } else if (check) console.error(`${name}: ${path}`);
  else console.log(path);
}
process.exit(failed ? 1 : 0);
