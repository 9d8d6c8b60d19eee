#!/usr/bin/env node
// `node scripts/nats-server.mjs [--check]`: makes sure a `nats-server` (with
// JetStream and WebSocket, 2.9 or newer) is there for the replication tests
// (tests/unit/jetstream*.test.ts, tests/browser/jetstream.spec.ts) and prints
// its path. `NATS_SERVER_PATH` if set, else the one on PATH or Debian's
// /usr/sbin/nats-server. Where none is found and apt-get is usable (root, or
// passwordless sudo), it installs Debian's `nats-server`; otherwise it exits
// non-zero saying how to get one. `--check` sends the path to stderr instead.
// The test launcher (tests/nats/server.ts) imports `findNatsServer`.
import { aptInstall, isExecutable, onPath } from './apt.mjs';
import { fileURLToPath } from 'node:url';

const CANDIDATES = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

/** The nats-server to run: NATS_SERVER_PATH, else PATH, else Debian's place; null when there is none. */
export function findNatsServer(env = process.env) {
  if (env.NATS_SERVER_PATH) return isExecutable(env.NATS_SERVER_PATH) ? env.NATS_SERVER_PATH : null;
  return onPath('nats-server') ?? CANDIDATES.find(isExecutable) ?? null;
}

export function howToGetNatsServer() {
  return (
    'nats-server not found: install it (Debian/Ubuntu: `sudo apt-get install -y nats-server`; ' +
    'elsewhere the nats-server release for your system) or set NATS_SERVER_PATH.'
  );
}

function install() {
  if (process.env.NATS_SERVER_PATH) return false; // the user chose a binary; don't install another
  // Debian's package starts a system service on install; the tests never use it (they start their own).
  return aptInstall('nats-server');
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
