// Issue 13's two-device case in Chromium: two browsers on profiles of their
// own ("two devices"), each publishing to its outbox, pushing it to a
// subject of its own of one stream, and pulling the other's subject into
// its inbox, all at once over WebSocket. Each inbox must end as the other
// device's outbox, message for message. (One device pulling another's
// pushed log is in jetstream.spec.ts and jetstream-faults.spec.ts.)
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import { describeStates, inPage, rowsOf, serverPerTest } from './jetstream-tools.ts';

const nats = serverPerTest();

const COUNT = 5_000;

/** Starts a device: publishes `COUNT` messages tagged with its name in two rounds around starting its push and pull. */
async function device(page: Page, me: string, other: string): Promise<void> {
  const o = (subject: string) => ({ servers: nats.server.wsUrl, stream: 'EVENTS', subject });
  await inPage(page, 'publish', 'app/outbox', 0, COUNT / 2, `${me}:`);
  await inPage(page, 'startPush', 'push', 'app/outbox', o(`events.${me}`));
  await inPage(page, 'startPull', 'pull', 'app/inbox', o(`events.${other}`));
}

test(`two devices each push their own subject and pull the other's: each inbox is the other's outbox`, async ({
  page,
  anotherDevice,
}) => {
  test.setTimeout(120_000);
  const b = await anotherDevice();
  const devices = [
    { page, me: 'a', other: 'b' },
    { page: b, me: 'b', other: 'a' },
  ];
  await Promise.all(devices.map((d) => device(d.page, d.me, d.other)));
  // The second half is published while both replications run: live, not only the backlog.
  await Promise.all(devices.map((d) => inPage(d.page, 'publish', 'app/outbox', COUNT / 2, COUNT / 2, `${d.me}:`)));
  for (const d of devices) {
    const pushed = await inPage(d.page, 'settle', 'push', 60_000);
    expect(pushed.error, describeStates(pushed.history)).toBeNull();
    expect(pushed.history.status).toMatchObject({ state: 'online', position: COUNT, lag: 0 });
  }
  for (const d of devices) {
    const pulled = await inPage(d.page, 'settle', 'pull', 60_000, COUNT, 'app/inbox');
    expect(pulled.error, describeStates(pulled.history)).toBeNull();
  }
  for (const d of devices) {
    const inbox = await rowsOf(d.page, 'app/inbox');
    const theirs = await rowsOf(devices.find((x) => x.me === d.other)!.page, 'app/outbox');
    expect(inbox).toHaveLength(COUNT);
    expect(
      inbox.findIndex((row, i) => JSON.stringify(row) !== JSON.stringify(theirs[i])),
      `device ${d.me}'s inbox`,
    ).toBe(-1);
  }
  for (const d of devices) {
    const [push, pull] = [await inPage(d.page, 'stop', 'push'), await inPage(d.page, 'stop', 'pull')];
    expect([push.status.state, pull.status.state]).toEqual(['stopped', 'stopped']);
  }
});
