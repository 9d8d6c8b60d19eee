// The WebKit tier's HTTP server: the origin MiniBrowser loads its page from.
// It answers the page's plan and report requests (protocol.ts) and proxies
// everything else to the browser tier's vite server, so the page, the
// library's modules and its worker are all one origin. On a free port.
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { PLAN_PATH, REPORT_PATH, type Plan, type Report } from './protocol.ts';

export interface ReportServer {
  /** `http://localhost:<port>`: a secure context, as OPFS requires. */
  origin: string;
  /** What the next launch's page runs; reports of other launches are dropped. */
  setPlan(plan: Plan): void;
  /** The next report of the current launch, or null if none came within `timeoutMs`. */
  nextReport(timeoutMs: number): Promise<Report | null>;
  close(): Promise<void>;
}

/** Reports in arrival order, and the one reader waiting for the next. */
class ReportQueue {
  private readonly queued: Report[] = [];
  private waiter: ((report: Report) => void) | null = null; // a newer reader replaces it

  push(report: Report): void {
    if (this.waiter) this.waiter(report);
    else this.queued.push(report);
  }

  clear(): void {
    this.queued.length = 0;
  }

  next(timeoutMs: number): Promise<Report | null> {
    const queued = this.queued.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const waiter = (report: Report | null) => {
        clearTimeout(timer);
        if (this.waiter === waiter) this.waiter = null;
        resolve(report);
      };
      const timer = setTimeout(waiter, timeoutMs, null);
      this.waiter = waiter;
    });
  }
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Passes a request on to vite as it is (Host included: vite allows any localhost). */
function proxy(upstream: URL, req: IncomingMessage, res: ServerResponse): void {
  const out = request(
    { hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  out.on('error', (err) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`proxy to ${upstream.origin}: ${err.message}`);
  });
  req.pipe(out);
}

/** A WebSocket (vite's client) goes through as raw bytes once its upgrade request is passed on. */
function proxyUpgrade(upstream: URL, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const out = connect(Number(upstream.port), upstream.hostname, () => {
    const headers = Object.entries(req.headers).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}`);
    out.write(`${req.method} ${req.url} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`);
    out.write(head);
    out.pipe(socket).pipe(out);
  });
  const end = () => {
    out.destroy();
    socket.destroy();
  };
  out.on('error', end);
  socket.on('error', end);
}

/** Starts the server in front of `upstream` (the vite server's origin). */
export async function startReportServer(upstream: string): Promise<ReportServer> {
  const target = new URL(upstream);
  const queue = new ReportQueue();
  let plan: Plan = { launch: 0, steps: [] };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === PLAN_PATH) {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(plan));
    } else if (path === REPORT_PATH && req.method === 'POST') {
      body(req)
        .then((text) => JSON.parse(text) as Report)
        .then(
          (report) => {
            if (report.launch === plan.launch) queue.push(report);
            res.writeHead(204).end();
          },
          () => res.writeHead(400).end(),
        );
    } else proxy(target, req, res);
  });
  server.on('upgrade', (req, socket, head) => proxyUpgrade(target, req, socket, head));
  // Loopback only, as vite listens: the proxy is no door into vite from the network.
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://localhost:${port}`,
    setPlan: (next) => {
      plan = next;
      queue.clear();
    },
    nextReport: (timeoutMs) => queue.next(timeoutMs),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
