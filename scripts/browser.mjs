#!/usr/bin/env node
// `node scripts/browser.mjs [--check] [chromium] [firefox]`: makes sure each
// named browser (both when none is named) is there for the browser tier and
// prints its path. Where one is missing and apt-get is usable (root, or
// passwordless sudo), it installs Debian's package (`chromium`,
// `firefox-esr`); otherwise it exits non-zero saying how to get it.
// `--check` only changes the output: paths go to stderr, so that scripts
// chaining on it stay quiet.
import { aptInstall } from './apt.mjs';
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

function install(name) {
  const { env, aptPackage } = BROWSERS[name];
  if (process.env[env]) return false; // the user chose a browser; don't install another
  return aptInstall(aptPackage);
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
