#!/usr/bin/env node
// `node scripts/browser.mjs [--check] [chromium] [firefox] [webkit]`: makes
// sure each named browser (all three when none is named) is there for the
// browser tier and prints its path. Where one is missing and apt-get is
// usable (root, or passwordless sudo), it installs Debian's package
// (`chromium`, `firefox-esr`; for webkit, WebKitGTK's MiniBrowser and the
// xvfb-run it runs under: scripts/webkit.mjs); otherwise it exits non-zero
// saying how to get it. `--check` only changes the output: paths go to
// stderr, so that scripts chaining on it stay quiet.
import { aptInstall } from './apt.mjs';
import { BROWSERS, BROWSER_NAMES, findBrowser, howToGetBrowser } from './browsers.mjs';
import { WEBKIT_TOOLS, findWebKitTool, howToGetWebKitTool } from './webkit.mjs';

/** Each name: how to find it, what to install, what to say when it is missing. */
const playwrightBrowser = (name) => ({
  find: () => findBrowser(name),
  ...BROWSERS[name],
  howToGet: () => howToGetBrowser(name),
});
const webkitTool = (tool) => ({
  find: () => findWebKitTool(tool),
  ...WEBKIT_TOOLS[tool],
  howToGet: () => howToGetWebKitTool(tool),
});
const TARGETS = {
  ...Object.fromEntries(BROWSER_NAMES.map((name) => [name, [[name, playwrightBrowser(name)]]])),
  webkit: Object.keys(WEBKIT_TOOLS).map((tool) => [tool, webkitTool(tool)]),
};

const args = process.argv.slice(2);
const check = args.includes('--check');
const names = args.filter((a) => a !== '--check');
for (const name of names) {
  if (!(name in TARGETS)) {
    console.error(`unknown browser "${name}": expected ${Object.keys(TARGETS).join(' and/or ')}`);
    process.exit(2);
  }
}

function install({ env, aptPackage }) {
  if (process.env[env]) return false; // the user chose a binary; don't install another
  return aptInstall(aptPackage);
}

let failed = false;
for (const [name, target] of (names.length ? names : Object.keys(TARGETS)).flatMap((n) => TARGETS[n])) {
  let path = target.find();
  if (!path && install(target)) path = target.find();
  if (!path) {
    console.error(target.howToGet());
    failed = true;
  } else if (check) console.error(`${name}: ${path}`);
  else console.log(path);
}
process.exit(failed ? 1 : 0);
