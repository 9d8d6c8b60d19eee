// Where the browser tier and the benchmark find Chromium. Playwright cannot
// download its own browsers here (no network for it), so we use the system's:
// `CHROMIUM_PATH` if set, else Debian's `/usr/bin/chromium`.
import { accessSync, constants } from 'node:fs';

/** The places to look, in order. */
export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The path of a Chromium executable, or `null` if none is found.
 * A `CHROMIUM_PATH` that is set but not executable is not silently replaced
 * by another browser: it yields `null`, so the caller says what is wrong.
 */
export function findChromium(env = process.env) {
  if (env.CHROMIUM_PATH) return isExecutable(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : null;
  return CHROMIUM_CANDIDATES.find(isExecutable) ?? null;
}

/** Like `findChromium`, but throws with instructions when there is none. */
export function chromiumPath(env = process.env) {
  const path = findChromium(env);
  if (path) return path;
  throw new Error(howToGetChromium(env));
}

export function howToGetChromium(env = process.env) {
  const bad = env.CHROMIUM_PATH ? `CHROMIUM_PATH=${env.CHROMIUM_PATH} is not an executable file. ` : '';
  return (
    `${bad}Chromium not found. Install it (Debian/Ubuntu: \`sudo apt-get install -y chromium\`) ` +
    `or point CHROMIUM_PATH at a Chromium or Chrome executable, e.g. \`CHROMIUM_PATH=/opt/chrome/chrome npm test\`. ` +
    `(Playwright's own browser download is not used.)`
  );
}
