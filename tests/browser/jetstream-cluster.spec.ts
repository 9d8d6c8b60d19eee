// Issue 13's cluster case in Chromium: a 3-node JetStream cluster (routes
// between the nodes, a WebSocket listener on each), a stream with 3
// replicas, and a page pushing to it through all three URLs while the
// stream's LEADER is killed (SIGKILL by pid), then, after it rejoined, the
// new leader, then a follower. Nothing may be lost or doubled: the stream,
// read from Node over TCP, must hold the log exactly.
import type { NatsConnection } from '@nats-io/nats-core';
import { startCluster, type NatsServer } from '../nats/server.ts';
import { expect, test } from './fixtures.ts';
import type { SyncOptions } from './jetstream-page.ts';
import {
  describeStates,
  expectStreamIsLog,
  inPage,
  leaderOf,
  reachPosition,
  readStream,
  rowsOf,
  tcp,
} from './jetstream-tools.ts';

const DIR = 'sync/outbox';
const COUNT = 24_000;

let nodes: NatsServer[] = [];
let nc: NatsConnection | null = null;

test.afterEach(async () => {
  await nc?.close().catch(() => {});
  nc = null;
  await Promise.all(nodes.map((n) => n.dispose()));
  nodes = [];
});

/** The node named `name`, by the stream info's server name. */
function node(name: string): NatsServer {
  const found = nodes.find((n) => n.name === name);
  if (!found) throw new Error(`no node ${name}`);
  return found;
}

/** Polls until the stream has a leader among the running nodes (an election takes a few seconds). */
async function currentLeader(): Promise<string> {
  let leader = '';
  await expect
    .poll(async () => (leader = await leaderOf(nc!, 'EVENTS').catch(() => '')), { timeout: 30_000, intervals: [250] })
    .not.toBe('');
  return leader;
}

test(`a 3-node cluster, replicas 3: the stream leader killed mid-push (twice), then a follower: nothing lost, nothing doubled`, async ({
  page,
}) => {
  test.setTimeout(180_000);
  nodes = await startCluster(3);
  nc = await tcp(nodes.map((n) => n.url));
  const options: SyncOptions = {
    servers: nodes.map((n) => n.wsUrl),
    stream: 'EVENTS',
    subject: 'events.device-a',
    replicas: 3,
  };
  expect(await inPage(page, 'publish', DIR, 0, COUNT)).toBe(COUNT);
  await inPage(page, 'startPush', 'push', DIR, options);

  const seen: string[] = [];
  const kill = async (which: 'leader' | 'follower', at: number) => {
    await reachPosition(page, 'push', at, 90_000);
    const leader = await currentLeader();
    const victim = which === 'leader' ? node(leader) : nodes.find((n) => n.name !== leader && n.pid !== null)!;
    const started = Date.now();
    await victim.kill();
    const position = (await inPage(page, 'history', 'push')).status.position;
    // The push must go on without it: a new leader, or the same one when a follower died.
    await reachPosition(page, 'push', Math.min(COUNT, position + 1_000), 60_000);
    const after = await currentLeader();
    seen.push(
      `${which} ${victim.name} killed at position ${position}; leader then ${after}; +1000 pushed ${Date.now() - started} ms later`,
    );
    await victim.restart();
  };
  await kill('leader', 4_000);
  await kill('leader', 10_000);
  await kill('follower', 16_000);

  const settled = await inPage(page, 'settle', 'push', 90_000);
  expect(settled.error, describeStates(settled.history)).toBeNull();
  expect(settled.history.status).toMatchObject({ state: 'online', position: COUNT, lag: 0 });
  const log = await rowsOf(page, DIR);
  expect(log).toHaveLength(COUNT);
  expectStreamIsLog(await readStream(nc, 'EVENTS', 'events.device-a'), log);
  for (const line of seen) console.log(`cluster: ${line}`);
  console.log(`cluster: the page went ${describeStates(settled.history)}`);
});
