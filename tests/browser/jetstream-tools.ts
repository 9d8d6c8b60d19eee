// Node-side tools of the replication specs (jetstream-*.spec.ts): what a
// stream holds, read over TCP with an ordered consumer, independent of the
// pages; which node leads a stream; the comparison of a stream with a log;
// and a TCP proxy in front of a server's WebSocket listener that cuts every
// connection through it on demand (a dropped network, without a restart).
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { HEADER_KEY, HEADER_OFFSET, HEADER_SOURCE, HEADER_TIME } from '../../src/jetstream.ts';
import type { History, Row } from './jetstream-page.ts';
import { evaluateJson, expect, test } from './fixtures.ts';
import { startServer, type NatsServer, type ServerOptions } from '../nats/server.ts';

/** A stream message as pushed: its stream sequence, the source log's id, and the row of the local message it carries. */
export interface Pushed {
  seq: number;
  source: string;
  row: Row;
}

/** A TCP connection to any of `urls` that rides out node restarts. */
export function tcp(urls: string[]): Promise<NatsConnection> {
  return connect({ servers: urls, maxReconnectAttempts: -1, reconnectTimeWait: 250, timeout: 5_000 });
}

/** Every message on `subject` of `stream`, in stream order, as pushed. */
export async function readStream(nc: NatsConnection, stream: string, subject: string): Promise<Pushed[]> {
  const jsm = await jetstreamManager(nc, { timeout: 10_000 });
  const info = await jsm.streams.info(stream, { subjects_filter: subject });
  const total = info.state.subjects?.[subject] ?? 0;
  const out: Pushed[] = [];
  if (total === 0) return out;
  const consumer = await jetstream(nc).consumers.get(stream, { filter_subjects: subject });
  const messages = await consumer.consume({ max_messages: 2000 });
  for await (const m of messages) {
    const h = m.headers;
    const key = h?.get(HEADER_KEY);
    out.push({
      seq: m.seq,
      source: h?.get(HEADER_SOURCE) ?? '',
      row: [
        Number(h?.get(HEADER_OFFSET)),
        key ? key : null,
        Number(h?.get(HEADER_TIME)),
        m.data.length ? Buffer.from(m.data).toString('base64') : null,
      ],
    });
    if (out.length >= total) break;
  }
  await messages.close();
  return out;
}

/**
 * The stream holds the log exactly: one source, and per local message one
 * stream message with its offset, key, time and value, in offset order,
 * none missing, none twice. Compared in one go so that a failure names the
 * first difference instead of printing 100k rows.
 */
export function expectStreamIsLog(stream: Pushed[], log: Row[]): void {
  expect(new Set(stream.map((p) => p.source)).size, 'one pushing log').toBeLessThanOrEqual(1);
  const firstDiff = log.findIndex((row, i) => JSON.stringify(row) !== JSON.stringify(stream[i]?.row));
  const at = firstDiff < 0 ? Math.min(log.length, stream.length) : firstDiff;
  expect({ at, stream: stream[at]?.row ?? null, seqBefore: stream[at - 1]?.seq ?? null }).toEqual({
    at,
    stream: log[at] ?? null,
    seqBefore: stream[at - 1]?.seq ?? null,
  });
  expect(stream.length, 'stream messages on the subject').toBe(log.length);
}

/** The name of the node that leads `stream` now (nodes are named n1, n2, …). */
export async function leaderOf(nc: NatsConnection, stream: string): Promise<string> {
  const jsm = await jetstreamManager(nc, { timeout: 10_000 });
  const info = await jsm.streams.info(stream);
  const leader = info.cluster?.leader;
  if (!leader) throw new Error(`stream ${stream} has no leader now`);
  return leader;
}

/** The states a replication went through, for a test's log: `online → offline (Unreachable: …) → online`. */
export function describeStates(history: History): string {
  return history.states
    .map((s) => (s.error && s.state !== 'online' ? `${s.state} (${s.error.slice(0, 80)})` : s.state))
    .join(' → ');
}

/** A TCP proxy on a free loopback port to `target`; `cut()` drops every connection through it (new ones are let through). */
export class CuttingProxy {
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  cuts = 0;

  constructor(private readonly target: number) {}

  /** Starts listening; resolves to the `ws://` URL to give the page. */
  async start(): Promise<string> {
    const server = createServer((client) => {
      const upstream = tcpConnect(this.target, '127.0.0.1');
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.sockets.add(a);
        a.on('error', () => b.destroy());
        a.on('close', () => {
          this.sockets.delete(a);
          b.destroy();
        });
        a.pipe(b);
      }
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address !== 'object' || !address) throw new Error('the proxy has no port');
    return `ws://127.0.0.1:${address.port}`;
  }

  /** Drops every open connection at once, both ways (what a lost network looks like to both ends, minus the timeouts). */
  cut(): number {
    const open = this.sockets.size;
    for (const s of this.sockets) s.destroy();
    if (open > 0) this.cuts++;
    return open;
  }

  async close(): Promise<void> {
    this.cut();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

type PageTools = typeof import('./jetstream-page.ts');
const PAGE_TOOLS = '/tests/browser/jetstream-page.ts';

/** Calls `name` of jetstream-page.ts in `page` (its module state lives in that page) with `args`. */
export function inPage<K extends keyof PageTools>(
  page: import('@playwright/test').Page,
  name: K,
  ...args: Parameters<PageTools[K]>
): Promise<Awaited<ReturnType<PageTools[K]>>> {
  return page.evaluate(
    async ({ path, name, args }) => {
      const tools = (await import(path)) as Record<string, (...a: unknown[]) => unknown>;
      return tools[name]!(...args);
    },
    { path: PAGE_TOOLS, name: name as string, args: args as unknown[] },
  ) as Promise<Awaited<ReturnType<PageTools[K]>>>;
}

/** The log at `dir` in `page`, row by row (`rows` of jetstream-page.ts), handed back as JSON: it may be 100k rows. */
export function rowsOf(
  page: import('@playwright/test').Page,
  dir: string,
): Promise<Awaited<ReturnType<PageTools['rows']>>> {
  return evaluateJson(page, async ({ path, dir }) => ((await import(path)) as PageTools).rows(dir), {
    path: PAGE_TOOLS,
    dir,
  });
}

/** Waits until replication `id` in `page` has pushed (or pulled) up to `position`. */
export async function reachPosition(
  page: import('@playwright/test').Page,
  id: string,
  position: number,
  timeout = 60_000,
): Promise<void> {
  await expect
    .poll(async () => (await inPage(page, 'history', id)).status.position, { timeout, intervals: [50] })
    .toBeGreaterThanOrEqual(position);
}

/** What `serverPerTest` gives a spec: this test's server and a TCP connection to it from Node. */
export interface TestServer {
  server: NatsServer;
  nc: NatsConnection;
  /** Replaces the server with one started with `options` (the connection follows). */
  restartWith(options: ServerOptions): Promise<void>;
}

/**
 * A real nats-server for each test of the calling spec: started before the
 * test (on free loopback ports, a temporary store), disposed of after it by
 * its pid, also when the test failed.
 */
export function serverPerTest(): TestServer {
  const current = {} as TestServer;
  const start = async (options?: ServerOptions) => {
    current.server = await startServer(options);
    current.nc = await tcp([current.server.url]);
  };
  const stop = async () => {
    await current.nc?.close().catch(() => {});
    await current.server?.dispose();
  };
  current.restartWith = async (options) => {
    await stop();
    await start(options);
  };
  test.beforeEach(() => start());
  test.afterEach(stop);
  return current;
}
