// Where the WebKit tier (tests/webkit) finds WebKitGTK's MiniBrowser and the
// xvfb-run that gives it a display. Playwright cannot drive MiniBrowser, and
// its own WebKit build is never downloaded here: we use Debian's.
import { readdirSync } from 'node:fs';
import { isExecutable, onPath } from './apt.mjs';

/** What the tier needs: the variable that overrides it, and the Debian package that brings it. */
export const WEBKIT_TOOLS = {
  minibrowser: { title: "WebKitGTK's MiniBrowser", env: 'MINIBROWSER_PATH', aptPackage: 'libwebkit2gtk-4.1-0' },
  'xvfb-run': { title: 'xvfb-run (MiniBrowser needs an X display)', env: 'XVFB_RUN_PATH', aptPackage: 'xvfb' },
};

/**
 * OPFS and the Storage API are off by default in WebKitGTK 2.50 (Safari has
 * them on): AccessHandle is the sync access handle, which it then refuses
 * with NotSupportedError in a dedicated worker all the same.
 */
export const MINIBROWSER_FEATURES = [
  '+AccessHandle',
  '+FileSystem',
  '+FileSystemWritableStream',
  '+StorageAPI',
  '+StorageAPIEstimate',
];

/** Debian puts MiniBrowser in the multiarch lib dir (`/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/`). */
function miniBrowserCandidates() {
  const found = [];
  for (const root of ['/usr/lib', '/usr/libexec', '/usr/local/lib', '/usr/local/libexec']) {
    let entries = [];
    try {
      entries = readdirSync(root);
    } catch {}
    for (const arch of ['.', ...entries]) {
      for (const api of ['webkit2gtk-4.1', 'webkitgtk-6.0', 'webkit2gtk-4.0'])
        found.push(`${root}/${arch}/${api}/MiniBrowser`);
    }
  }
  return found;
}

/**
 * The path of `tool` ('minibrowser' or 'xvfb-run'), or null. As for the other
 * browsers, a variable that is set but names no executable yields null.
 */
export function findWebKitTool(tool, env = process.env) {
  const { env: variable } = WEBKIT_TOOLS[tool];
  if (env[variable]) return isExecutable(env[variable]) ? env[variable] : null;
  if (tool === 'xvfb-run') return onPath('xvfb-run');
  return miniBrowserCandidates().find(isExecutable) ?? null;
}

export function howToGetWebKitTool(tool, env = process.env) {
  const { title, env: variable, aptPackage } = WEBKIT_TOOLS[tool];
  const bad = env[variable] ? `${variable}=${env[variable]} is not an executable file. ` : '';
  return (
    `${bad}${title} not found. Install it (Debian/Ubuntu: \`sudo apt-get install -y ${aptPackage}\`) ` +
    `or point ${variable} at its executable.`
  );
}

/** Both paths, or throws with instructions for what is missing. */
export function webkitTools(env = process.env) {
  const missing = [];
  const paths = {};
  for (const tool of Object.keys(WEBKIT_TOOLS)) {
    paths[tool] = findWebKitTool(tool, env);
    if (!paths[tool]) missing.push(howToGetWebKitTool(tool, env));
  }
  if (missing.length) throw new Error(missing.join('\n'));
  return { miniBrowser: paths.minibrowser, xvfbRun: paths['xvfb-run'] };
}
