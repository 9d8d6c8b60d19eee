// Starts WebKitGTK's MiniBrowser on a URL and stops it. It has no headless
// mode and no automation that keeps OPFS (WebKitWebDriver's sessions use an
// ephemeral data store, where `navigator.storage.getDirectory()` fails
// UnknownError), so it runs under `xvfb-run -a` on a profile of its own: fresh
// XDG data, cache and config dirs. Its TMPDIR is in there too: WebKit leaves a
// `FileSystemWritableStream-*` file behind there for every writable it closes.
// A test that relaunches MiniBrowser on what the last one left (a crash test)
// makes a profile itself (`newProfile`) and passes it to each launch.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MINIBROWSER_FEATURES, webkitTools } from '../../scripts/webkit.mjs';

export interface MiniBrowser {
  pid: number;
  /** Settles when xvfb-run (the process group's leader) exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines MiniBrowser, WebKit and Xvfb printed: what a failure shows. */
  output(): string;
  /** The live processes of its group (Linux's /proc): pid and command name (`comm`, at most 15 characters). */
  processes(): { pid: number; command: string }[];
  /**
   * Stops the whole process group and removes the profile (unless the caller
   * passed its own); resolves to the CPU seconds the group used (0 where
   * there is no /proc). Safe to call twice.
   */
  close(): Promise<number>;
  /**
   * Kills the whole process group at once (SIGKILL: a crash, nothing flushed),
   * then closes. Removes the lock file and socket its Xvfb leaves behind.
   */
  kill(): Promise<number>;
}

export interface LaunchOptions {
  /**
   * A profile directory from `newProfile` to run on, kept when MiniBrowser
   * stops: the caller removes it. By default each launch gets a fresh one.
   */
  profile?: string;
}

/** A fresh profile directory for `launchMiniBrowser`'s `profile` option; the caller removes it. */
export function newProfile(): string {
  return mkdtempSync(join(tmpdir(), 'opfs-log-webkit-'));
}

const OUTPUT_KEPT = 8_000;
/** How long the group gets to exit on SIGTERM (Xvfb then removes its lock file) before SIGKILL. */
const TERM_GRACE_MS = 2_000;
/** sysconf(_SC_CLK_TCK): 100 on every Linux that WebKitGTK runs on. */
const CLOCK_TICKS = 100;

function profileEnv(root: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, dir] of [
    ['XDG_DATA_HOME', 'data'],
    ['XDG_CACHE_HOME', 'cache'],
    ['XDG_CONFIG_HOME', 'config'],
    ['TMPDIR', 'tmp'],
  ] as const) {
    env[name] = join(root, dir);
    mkdirSync(env[name], { recursive: true });
  }
  return env;
}

/** True while any process of group `pgid` is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The live processes of group `pgid`, each with its command name and the fields of stat(5) after it. */
function groupStats(pgid: number): { pid: number; command: string; fields: string[] }[] {
  const found = [];
  let names: string[] = [];
  try {
    names = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {}
  for (const name of names) {
    try {
      // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so split at the last ") ".
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(') ');
      const fields = stat.slice(close + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue;
      found.push({ pid: Number(name), command: stat.slice(stat.indexOf('(') + 1, close), fields });
    } catch {} // gone meanwhile
  }
  return found;
}

/** CPU seconds used by the live processes of group `pgid` and the children they reaped (Linux's /proc). */
function groupCpuSeconds(pgid: number): number {
  let ticks = 0;
  // After "pid (comm) ": utime stime cutime cstime are fields 14-17 of stat(5).
  for (const { fields } of groupStats(pgid)) for (const i of [11, 12, 13, 14]) ticks += Number(fields[i] ?? 0);
  return ticks / CLOCK_TICKS;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {} // already gone
}

/** A killed Xvfb leaves `/tmp/.X<n>-lock` (holding its pid) and its socket: xvfb-run's cleanup never ran. */
function removeXvfbLeftovers(server: number): void {
  let names: string[] = [];
  try {
    names = readdirSync('/tmp');
  } catch {}
  for (const name of names) {
    const display = /^\.X(\d+)-lock$/.exec(name)?.[1];
    if (display === undefined) continue;
    try {
      if (Number(readFileSync(join('/tmp', name), 'utf8').trim()) !== server) continue;
      rmSync(join('/tmp', '.X11-unix', `X${display}`), { force: true });
      rmSync(join('/tmp', name), { force: true });
    } catch {} // gone meanwhile
  }
}

/** Resolves once group `pgid` is gone, or false after `ms`. */
async function groupGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/** Starts MiniBrowser on `url` (with OPFS and the Storage API switched on) in a process group of its own. */
export function launchMiniBrowser(url: string, { profile }: LaunchOptions = {}): MiniBrowser {
  const { miniBrowser, xvfbRun } = webkitTools();
  const root = profile ?? newProfile();
  const args = ['-a', miniBrowser];
  args.push(`--features=${MINIBROWSER_FEATURES.join(',')}`, url);
  // detached: its own process group, so one kill reaches xvfb-run, Xvfb, MiniBrowser and WebKit's processes.
  const child = spawn(xvfbRun, args, { detached: true, env: profileEnv(root), stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${xvfbRun}`);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEPT);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  // A worker that exits (a timeout, Ctrl-C) must not leave a browser behind.
  const onExit = () => signalGroup(pid, 'SIGKILL');
  process.once('exit', onExit);
  let closing: Promise<number> | null = null;
  const close = async () => {
    const cpu = groupCpuSeconds(pid);
    signalGroup(pid, 'SIGTERM');
    if (!(await groupGone(pid, TERM_GRACE_MS))) {
      signalGroup(pid, 'SIGKILL');
      await groupGone(pid, TERM_GRACE_MS);
    }
    process.off('exit', onExit);
    if (profile === undefined) rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    return cpu;
  };
  const kill = async () => {
    const xvfb = groupStats(pid).filter((p) => p.command === 'Xvfb');
    signalGroup(pid, 'SIGKILL');
    await groupGone(pid, TERM_GRACE_MS);
    for (const { pid: server } of xvfb) removeXvfbLeftovers(server);
    return close();
  };
  return {
    pid,
    exited,
    kill,
    output: () => output,
    processes: () => groupStats(pid).map(({ pid, command }) => ({ pid, command })),
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}
