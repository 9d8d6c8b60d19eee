// What the set-up scripts (browser.mjs, nats-server.mjs, unzip.mjs) share:
// finding executables, and installing a missing Debian package with apt-get
// where that is allowed (root, or passwordless sudo).
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

export function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function succeeds(cmd, args) {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

/** The path `command -v name` gives in a shell, or null. */
export function onPath(name) {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  return found && isExecutable(found) ? found : null;
}

/** `[]` when we are root, `['sudo', '-n']` with passwordless sudo, else null. */
function aptPrefix() {
  if (!succeeds('sh', ['-c', 'command -v apt-get'])) return null;
  if (process.getuid?.() === 0) return [];
  if (succeeds('sudo', ['-n', 'true'])) return ['sudo', '-n'];
  return null;
}

/**
 * Installs Debian's `pkg` with apt-get, saying so on stderr; false where
 * apt-get cannot be used or the install failed. The package lists are
 * updated only if the first attempt fails (a fresh machine has none).
 */
export function aptInstall(pkg) {
  const prefix = aptPrefix();
  if (!prefix) return false;
  console.error(`${pkg} not found; installing Debian's ${pkg} with apt-get.`);
  const apt = (...args) => {
    const argv = [...prefix, 'apt-get', ...args];
    console.error(`$ ${argv.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    return spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'], env }).status === 0;
  };
  return apt('install', '-y', pkg) || (apt('update') && apt('install', '-y', pkg));
}
