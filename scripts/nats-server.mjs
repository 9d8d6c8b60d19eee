#!/usr/bin/env node
// `node scripts/nats-server.mjs [--check]`: makes sure a `nats-server` (with
// JetStream and WebSocket, 2.9 or newer) is there for the replication tests
// (tests/unit/jetstream*.test.ts, tests/browser/jetstream.spec.ts) and prints
// its path. `NATS_SERVER_PATH` if set, else the one on PATH or Debian's
// /usr/sbin/nats-server. Where none is found and apt-get is usable (root, or
// passwordless sudo), it installs Debian's `nats-server`; otherwise it exits
// non-zero saying how to get one. `--check` sends the path to stderr instead.
// The test launcher (tests/nats/server.ts) imports `findNatsServer`.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CANDIDATES = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

function executable(path) {
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

/** The nats-server to run: NATS_SERVER_PATH, else PATH, else Debian's place; null when there is none. */
export function findNatsServer(env = process.env) {
  if (env.NATS_SERVER_PATH) return executable(env.NATS_SERVER_PATH) ? env.NATS_SERVER_PATH : null;
  const onPath = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).stdout.trim();
  if (onPath && executable(onPath)) return onPath;
  return CANDIDATES.find(executable) ?? null;
}

export function howToGetNatsServer() {
  return 'nats-server not found: install it (Debian/Ubuntu: `sudo apt-get install -y nats-server`; '
    + 'elsewhere https://docs.nats.io/running-a-nats-service/introduction/installation) or set NATS_SERVER_PATH.';
}

/** `[]` when we are root, `['sudo', '-n']` with passwordless sudo, else null. */
function aptPrefix() {
  if (!succeeds('sh', ['-c', 'command -v apt-get'])) return null;
  if (process.getuid?.() === 0) return [];
  if (succeeds('sudo', ['-n', 'true'])) return ['sudo', '-n'];
  return null;
}

function install() {
  if (process.env.NATS_SERVER_PATH) return false; // the user chose a binary; don't install another
  const prefix = aptPrefix();
  if (!prefix) return false;
  console.error("nats-server not found; installing Debian's nats-server with apt-get.");
  const apt = (...args) => {
    const argv = [...prefix, 'apt-get', ...args];
    console.error(`$ ${argv.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    return spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'], env }).status === 0;
  };
  // Debian's package starts a system service on install; the tests never use it (they start their own).
  return apt('install', '-y', 'nats-server') || (apt('update') && apt('install', '-y', 'nats-server'));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let path = findNatsServer();
  if (!path && install()) path = findNatsServer();
  if (!path) {
    console.error(howToGetNatsServer());
    process.exit(1);
  }
  if (process.argv.includes('--check')) console.error(`nats-server: ${path}`);
  else console.log(path);
}
