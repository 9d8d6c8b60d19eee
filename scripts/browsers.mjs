// Where the browser tier, the benchmark and the consumer tier find their
// browsers, and how they launch them. Playwright cannot download its own
// browsers here (no network for it), so we use the system's: Debian's
// `chromium` and `firefox-esr`, or whatever CHROMIUM_PATH / FIREFOX_PATH name.
import { chromium, firefox } from '@playwright/test';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isExecutable } from './apt.mjs';

/** Each browser: the variable that overrides it, the places to look in order, Debian's package. */
export const BROWSERS = {
  chromium: {
    title: 'Chromium',
    env: 'CHROMIUM_PATH',
    candidates: ['/usr/bin/chromium', '/usr/bin/chromium-browser'],
    aptPackage: 'chromium',
  },
  firefox: {
    title: 'Firefox',
    env: 'FIREFOX_PATH',
    // The binary itself, not a wrapper script: Playwright talks to the process it starts.
    candidates: ['/usr/lib/firefox-esr/firefox-esr', '/usr/lib/firefox/firefox'],
    aptPackage: 'firefox-esr',
  },
};

export const BROWSER_NAMES = Object.keys(BROWSERS);

/** Chromium's flags: without them it keeps calling home, which this closed network refuses. */
export const CHROMIUM_ARGS = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Firefox's preferences. `persist()` would open a permission prompt that
 * never answers headless: the testing prefs make it resolve (granted). The
 * rest keep it from calling home.
 */
export const FIREFOX_PREFS = {
  'dom.storageManager.prompt.testing': true,
  'dom.storageManager.prompt.testing.allow': true,
  'app.update.disabledForTesting': true,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'network.connectivity-service.enabled': false,
  'network.captive-portal-service.enabled': false,
  'toolkit.telemetry.enabled': false,
};

function known(name) {
  const browser = BROWSERS[name];
  if (!browser) throw new Error(`unknown browser "${name}": expected one of ${BROWSER_NAMES.join(', ')}`);
  return browser;
}

/**
 * The path of the browser's executable, or `null` if none is found. A
 * variable that is set but names no executable is not silently replaced by
 * another browser: it yields `null`, so the caller says what is wrong.
 */
export function findBrowser(name, env = process.env) {
  const browser = known(name);
  const chosen = env[browser.env];
  if (chosen) return isExecutable(chosen) ? chosen : null;
  return browser.candidates.find(isExecutable) ?? null;
}

/** Like `findBrowser`, but throws with instructions when there is none. */
export function browserPath(name, env = process.env) {
  const path = findBrowser(name, env);
  if (path) return path;
  throw new Error(howToGetBrowser(name, env));
}

export function howToGetBrowser(name, env = process.env) {
  const { title, env: variable, aptPackage } = known(name);
  const bad = env[variable] ? `${variable}=${env[variable]} is not an executable file. ` : '';
  return (
    `${bad}${title} not found. Install it (Debian/Ubuntu: \`sudo apt-get install -y ${aptPackage}\`) ` +
    `or point ${variable} at its executable, e.g. \`${variable}=/opt/${name}/${name} npm test\`. ` +
    `(Playwright's own browser download is not used.)`
  );
}

/**
 * Firefox will not start as root with a $HOME that root does not own (a
 * container's HOME often belongs to another user): give it one of its own.
 */
function firefoxEnv() {
  if (process.getuid?.() !== 0) return undefined;
  try {
    if (statSync(process.env.HOME ?? '/').uid === 0) return undefined;
  } catch {}
  return { ...process.env, HOME: mkdtempSync(join(tmpdir(), 'opfs-log-firefox-home-')) };
}

/**
 * Launches `name` on a persistent profile in `profileDir` (real OPFS on disk:
 * Playwright's default contexts keep it in memory) and resolves to its context.
 * `options` go to Playwright's `launchPersistentContext` (baseURL, and for
 * Firefox extra `firefoxUserPrefs`, merged over ours).
 */
export function launchBrowser(name, profileDir, options = {}) {
  const executablePath = browserPath(name);
  if (name === 'chromium') {
    return chromium.launchPersistentContext(profileDir, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      ...options,
    });
  }
  const { firefoxUserPrefs, ...rest } = options;
  // Firefox ESR 140 lacks BiDi's browser.setDownloadBehavior (patches/): its own prefs say where downloads go.
  const downloads = options.downloadsPath
    ? {
        'browser.download.dir': options.downloadsPath,
        'browser.download.folderList': 2,
        'browser.download.useDownloadDir': true,
        'browser.download.always_ask_before_handling_new_types': false,
        'browser.download.start_downloads_in_tmp_dir': false,
      }
    : {};
  return firefox.launchPersistentContext(profileDir, {
    // Stock Firefox speaks WebDriver BiDi; Playwright's own (patched) Firefox is not used.
    channel: 'moz-firefox',
    executablePath,
    headless: true,
    env: firefoxEnv(),
    firefoxUserPrefs: { ...FIREFOX_PREFS, ...downloads, ...firefoxUserPrefs },
    ...rest,
  });
}
