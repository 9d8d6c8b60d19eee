/**
 * Real nats-server processes for the replication tests (Node tier, browser
 * tier, the cluster test): one server or an N-node cluster, each with
 * JetStream (a temporary store dir) and a WebSocket listener without TLS, on
 * loopback ports that were free when it started. Each is stopped, killed and
 * restarted by its own pid, on the same ports and store, so clients that
 * reconnect find it again. Whatever is left running when the process exits is
 * killed (by pid) then.
 *
 * The binary comes from scripts/nats-server.mjs (NATS_SERVER_PATH, PATH or
 * Debian's /usr/sbin/nats-server), which `npm test` runs first to install it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findNatsServer, howToGetNatsServer } from '../../scripts/nats-server.mjs';

/** How a server is configured; every field is optional. */
export interface ServerOptions {
  /** Clients must log in: user and password, or a token. */
  auth?: { user: string; pass: string } | { token: string };
  /** The WebSocket listener's `allowed_origins` (a page from elsewhere gets refused). */
  allowedOrigins?: string[];
  /** Without JetStream (to see a client's error when it is missing). Default true. */
  jetstream?: boolean;
}

export interface NatsServer {
  readonly name: string;
  /** `nats://127.0.0.1:<port>` for TCP clients (Node's transport). */
  readonly url: string;
  /** `ws://127.0.0.1:<port>` for WebSocket clients (browsers, `wsconnect`). */
  readonly wsUrl: string;
  readonly port: number;
  readonly wsPort: number;
  /** The pid of the running process; null while stopped or killed. */
  readonly pid: number | null;
  readonly storeDir: string;
  /** Starts it again on the same ports, config and store; resolves once it is ready. */
  restart(): Promise<void>;
  /** SIGTERM, and waits for it to exit (a clean shutdown). */
  stop(): Promise<void>;
  /** SIGKILL, and waits for it to exit: nothing is flushed. */
  kill(): Promise<void>;
  /** The server's last log lines (for a failing test's message). */
  log(): string;
  /** Stops it and removes its store dir. */
  dispose(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const LOG_LINES = 200;
const running = new Set<ChildProcess>();

process.once('exit', () => {
  for (const child of running) if (child.pid !== undefined) killQuietly(child.pid);
});

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** A loopback port that is free now (the OS picks it); a tiny race with other processes remains. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function binary(): string {
  const path = findNatsServer();
  if (!path) throw new Error(`${howToGetNatsServer()} (or run \`node scripts/nats-server.mjs\`)`);
  return path;
}

interface Ports {
  client: number;
  ws: number;
  http: number;
  cluster: number;
}

function configText(name: string, ports: Ports, storeDir: string, options: ServerOptions, routes: number[]): string {
  const lines = [`server_name: ${name}`, `listen: 127.0.0.1:${ports.client}`, `http: 127.0.0.1:${ports.http}`];
  if (options.jetstream !== false)
    lines.push(`jetstream { store_dir: ${JSON.stringify(storeDir)}, max_memory_store: 64MB, max_file_store: 2GB }`);
  const origins = options.allowedOrigins ? `, allowed_origins: ${JSON.stringify(options.allowedOrigins)}` : '';
  lines.push(`websocket { listen: "127.0.0.1:${ports.ws}", no_tls: true${origins} }`);
  const auth = options.auth;
  if (auth && 'token' in auth) lines.push(`authorization { token: ${JSON.stringify(auth.token)} }`);
  else if (auth)
    lines.push(`authorization { user: ${JSON.stringify(auth.user)}, password: ${JSON.stringify(auth.pass)} }`);
  if (routes.length > 0) {
    const list = routes.filter((p) => p !== ports.cluster).map((p) => `"nats-route://127.0.0.1:${p}"`);
    lines.push(`cluster { name: opfs-log-test, listen: "127.0.0.1:${ports.cluster}", routes: [${list.join(', ')}] }`);
  }
  return `${lines.join('\n')}\n`;
}

/** Resolves once `/healthz` answers 200: listening, and with JetStream ready (in a cluster: a meta leader). */
async function waitHealthy(httpPort: number, child: ChildProcess, lines: string[]): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `nats-server exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${lines.join('\n')}`,
      );
    }
    const ok = await fetch(`http://127.0.0.1:${httpPort}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nats-server was not ready within ${READY_TIMEOUT_MS} ms:\n${lines.join('\n')}`);
}

class Server implements NatsServer {
  private child: ChildProcess | null = null;
  private readonly lines: string[] = [];
  private readonly configFile: string;

  constructor(
    readonly name: string,
    private readonly ports: Ports,
    readonly storeDir: string,
    config: string,
  ) {
    this.configFile = join(storeDir, 'nats.conf');
    writeFileSync(this.configFile, config);
  }

  get url(): string {
    return `nats://127.0.0.1:${this.ports.client}`;
  }
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.ports.ws}`;
  }
  get port(): number {
    return this.ports.client;
  }
  get wsPort(): number {
    return this.ports.ws;
  }
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Spawns the process; `waitReady` then waits for it (a cluster's nodes must all be spawned first). */
  spawnProcess(): ChildProcess {
    if (this.child) throw new Error(`${this.name} is already running (pid ${this.child.pid})`);
    const child = spawn(binary(), ['-c', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      this.lines.splice(0, Math.max(0, this.lines.length - LOG_LINES));
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', () => running.delete(child));
    running.add(child);
    this.child = child;
    return child;
  }

  async waitReady(): Promise<void> {
    if (!this.child) throw new Error(`${this.name} is not running`);
    await waitHealthy(this.ports.http, this.child, this.lines);
  }

  async restart(): Promise<void> {
    this.spawnProcess();
    await this.waitReady();
  }

  stop(): Promise<void> {
    return this.signal('SIGTERM');
  }
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.pid === undefined) return;
    this.child = null;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(child.pid, signal);
    await exited;
  }

  log(): string {
    return this.lines.join('\n');
  }

  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}

/** Starts servers this many times at most while another process takes a port between `freePort` and the bind. */
const START_ATTEMPTS = 3;

/** One server with JetStream and WebSocket; resolves once it is ready. */
export async function startServer(options: ServerOptions = {}): Promise<NatsServer> {
  const [server] = await startOnFreePorts(1, ([p]) => {
    const storeDir = mkdtempSync(join(tmpdir(), 'opfs-log-nats-'));
    return [new Server('n1', p!, storeDir, configText('n1', p!, storeDir, options, []))];
  });
  return server!;
}

/**
 * An N-node JetStream cluster (routes between all nodes); resolves once every
 * node answers healthy, that is once JetStream has a meta leader. Streams that
 * should survive a node need `replicas` > 1.
 */
export function startCluster(size: number, options: ServerOptions = {}): Promise<NatsServer[]> {
  return startOnFreePorts(size, (all) => {
    const routes = all.map((p) => p.cluster);
    return all.map((p, i) => {
      const storeDir = mkdtempSync(join(tmpdir(), `opfs-log-nats-n${i + 1}-`));
      return new Server(`n${i + 1}`, p, storeDir, configText(`n${i + 1}`, p, storeDir, options, routes));
    });
  });
}

/**
 * Starts the `size` servers `make` makes on free ports and waits until each
 * is ready. Only the race `freePort` admits (another process took a port
 * before the bind) is worth another try, on new ports; any other failure is
 * the test's to see.
 */
async function startOnFreePorts(size: number, make: (ports: Ports[]) => Server[]): Promise<Server[]> {
  for (let attempt = 1; ; attempt++) {
    const servers = make(await distinctPorts(size));
    for (const s of servers) s.spawnProcess(); // a cluster's nodes must all be spawned before any is ready
    const ready = await Promise.allSettled(servers.map((s) => s.waitReady()));
    const failed = ready.find((r) => r.status === 'rejected');
    if (!failed) return servers;
    await Promise.all(servers.map((s) => s.dispose()));
    const raced = servers.some((s) => s.log().includes('address already in use'));
    if (attempt >= START_ATTEMPTS || !raced) throw (failed as PromiseRejectedResult).reason;
  }
}

/** Ports for `size` servers, none picked twice: a port `freePort` gave back is free for it to give again. */
async function distinctPorts(size: number): Promise<Ports[]> {
  const one = async (): Promise<Ports> => ({
    client: await freePort(),
    ws: await freePort(),
    http: await freePort(),
    cluster: await freePort(),
  });
  for (;;) {
    const all = await Promise.all(Array.from({ length: size }, one));
    const numbers = all.flatMap((p) => [p.client, p.ws, p.http, p.cluster]);
    if (new Set(numbers).size === numbers.length) return all;
  }
}
