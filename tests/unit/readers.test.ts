/**
 * A readonly log beside a writer that rewrites segments (delete, compaction,
 * trims): every answer is the message published at that offset, or an error
 * the contract allows; never another message, a false NotFound or Corrupted.
 * The memory backend's readonly files follow a name as OPFS's do, so a
 * rewrite under the reader is what a second tab sees.
 */
import { describe, expect, it } from 'vitest';
import { CHANGES_FILE } from '../../src/engine/changes.ts';
import { toLogError } from '../../src/errors.ts';
import { IndexStore } from '../../src/indexes/store.ts';
import { compact, trimByCount } from '../../src/index.ts';
import type { Log, Message } from '../../src/types.ts';
import { allOffsets, dec, enc, freshEnv, openLog } from './helpers.ts';

const key = (i: number) => enc.encode(`key-${String(i).padStart(6, '0')}`); // 10 bytes
const value = (i: number) => enc.encode(`value-${i}-`.padEnd(128, 'x'));
const batch = (from: number, n: number) =>
  Array.from({ length: n }, (_, j) => ({ key: key(from + j), value: value(from + j) }));
const valueText = (m: Message) => dec.decode(m.value!);

async function pair(options = {}) {
  const env = freshEnv();
  const writer = await openLog(env, 'log', options);
  const reader = async () => openLog(env, 'log', { ...options, readonly: true });
  return { env, writer, reader };
}

/** Every message of `log` from the oldest, as offset → value. */
async function contents(log: Log): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  let at = -2;
  for (;;) {
    const b = await log.consume(at, 17);
    for (const m of b.messages) out.set(m.offset, valueText(m));
    if (b.nextOffset === at || (b.messages.length === 0 && b.nextOffset === (await log.nextOffset()))) return out;
    at = b.nextOffset;
  }
}

describe('a readonly log after its writer rewrote the segment it had read', () => {
  it('answers with the right messages (issue: get(11) returned offset 12)', async () => {
    const { writer, reader: openReader } = await pair();
    await writer.publish(batch(0, 100));
    const reader = await openReader();
    expect((await contents(reader)).size).toBe(100);

    await writer.delete([10]);
    await writer.publish(batch(100, 20));

    expect((await reader.get(11)).offset).toBe(11);
    expect(valueText(await reader.get(11))).toBe(dec.decode(value(11)));
    expect((await reader.get(50)).offset).toBe(50);
    await expect(reader.get(10)).rejects.toMatchObject({ code: 'NotFound' });
    expect((await reader.getByKey(key(11))).offset).toBe(11);
    expect((await reader.get(99)).offset).toBe(99);
    expect(await reader.nextOffset()).toBe(120);
    expect((await reader.get(119)).offset).toBe(119);
    expect(await contents(reader)).toEqual(await contents(writer));
    await reader.close();
    await writer.close();
  });

  it('notices a head rewritten to the very same size', async () => {
    const { writer, reader: openReader } = await pair();
    await writer.publish(batch(0, 20));
    const reader = await openReader();
    expect(await reader.nextOffset()).toBe(20);
    await writer.delete([5]);
    await writer.publish(batch(20, 1)); // same record size: the head is as long as before
    expect(await reader.nextOffset()).toBe(21);
    await expect(reader.get(5)).rejects.toMatchObject({ code: 'NotFound' });
    expect(await contents(reader)).toEqual(await contents(writer));
    await reader.close();
    await writer.close();
  });

  it('follows compaction and trims over many segments', async () => {
    const { writer, reader: openReader } = await pair({ rollover: 2048 });
    for (let b = 0; b < 10; b++) {
      await writer.publish(
        Array.from({ length: 10 }, (_, j) => ({ key: key((b * 10 + j) % 7), value: value(b * 10 + j) })),
      );
    }
    const reader = await openReader();
    expect((await contents(reader)).size).toBe(100);
    await compact(writer, 0);
    expect(await contents(reader)).toEqual(await contents(writer));
    await trimByCount(writer, 3);
    expect(await contents(reader)).toEqual(await contents(writer));
    expect(await allOffsets(reader)).toEqual(await allOffsets(writer));
    await reader.close();
    await writer.close();
  });
});

describe('a readonly log while its writer changes files in the middle of a read', () => {
  it('never returns another message, whatever moment the rewrite lands', async () => {
    // The writer's delete lands after the reader's n-th file read, for every n.
    for (let n = 1; n <= 12; n++) {
      const { env, writer, reader: openReader } = await pair({ rollover: 4096 });
      await writer.publish(batch(0, 60));
      const reader = await openReader();
      await reader.nextOffset();
      let reads = 0;
      let rewrite: Promise<unknown> | null = null;
      env.root.faults.onRead = () => {
        if (++reads === n) rewrite = writer.delete([1, 2, 3, 30, 31]).then(() => writer.publish(batch(60, 2)));
      };
      const got = await reader.consume(0, 100).catch((err: unknown) => err);
      env.root.faults.onRead = undefined;
      await rewrite;
      if (got instanceof Error) throw got;
      const { messages } = got as { messages: Message[] };
      for (const m of messages) expect(valueText(m), `read ${n}: offset ${m.offset}`).toBe(dec.decode(value(m.offset)));
      expect(await contents(reader)).toEqual(await contents(writer));
      await reader.close();
      await writer.close();
    }
  });
});

describe('a read whose file is replaced between the catch-up and the read', () => {
  it('is checked record by record and answered again from the new file', async () => {
    const { env, writer, reader: openReader } = await pair();
    await writer.publish(batch(0, 60));
    const reader = await openReader();
    expect(await reader.nextOffset()).toBe(60);
    const d = (await env.root.subdir(['log'], false)) as import('../../src/storage/memory.ts').MemoryDirectory;
    const head = (await d.list()).map((e) => e.name).find((n) => n.endsWith('.log'))!;
    const before = d.raw(head)!.slice();
    await writer.delete([1, 2, 3]);
    const after = d.raw(head)!.slice();
    await writer.close();

    // The reader catches up on the file as it was, then reads records from the rewritten one.
    d.setRaw(head, before);
    env.root.faults.onRead = (_file, position) => {
      if (position > 0) d.setRaw(head, after);
    };
    const m = await reader.get(10);
    env.root.faults.onRead = undefined;
    expect(m.offset).toBe(10);
    expect(valueText(m)).toBe(dec.decode(value(10)));
    await expect(reader.get(2)).rejects.toMatchObject({ code: 'NotFound' });
    await reader.close();
  });
});

describe('a read that fails because the writer rewrote a sealed segment after the catch-up', () => {
  it('is not believed: the change counter moved, so it is answered again on a fresh view', async () => {
    const { env, writer: filler, reader: openReader } = await pair({ rollover: 4096 });
    for (let from = 0; from < 60; from += 20) await filler.publish(batch(from, 20)); // three segments
    await filler.close(); // which saves the index records
    const d = (await env.root.subdir(['log'], false)) as import('../../src/storage/memory.ts').MemoryDirectory;
    const first = (await d.names()).filter((n) => n.endsWith('.log')).sort()[0]!;
    const store = await IndexStore.open(env.idb);
    const record = (await store.load('log')).get(0)!; // the sealed segment's
    const summary = (await store.summaries('log')).get(0)!; // which the reader trusts
    const writer = await openLog(env, 'log', { rollover: 4096 });
    const before = { segment: d.raw(first)!.slice(), changes: d.raw(CHANGES_FILE)!.slice() };
    await writer.delete([1, 2, 3]); // a sealed segment rewritten: the counter moves on
    const after = { segment: d.raw(first)!.slice(), changes: d.raw(CHANGES_FILE)!.slice() };
    await writer.close();
    expect(after.changes).not.toEqual(before.changes);

    // The reader catches up on the files (and index records) as they were before the delete...
    d.setRaw(first, before.segment);
    d.setRaw(CHANGES_FILE, before.changes);
    await store.put({ record, summary });
    const reader = await openReader();
    expect(await reader.nextOffset()).toBe(60);
    // ...then the writer removes the segment's record, as a rewrite does first...
    await store.remove('log', 0);
    store.close();
    // ...and the writer's rewrite lands as it reads the record: the read fails its check.
    let swapped = false;
    env.root.faults.onRead = (file, position) => {
      if (swapped || !file.endsWith(first) || position === 0) return;
      swapped = true;
      d.setRaw(first, after.segment);
      d.setRaw(CHANGES_FILE, after.changes);
    };
    const m = await reader.get(10);
    env.root.faults.onRead = undefined;
    expect(swapped).toBe(true);
    expect(m.offset).toBe(10);
    expect(valueText(m)).toBe(dec.decode(value(10)));
    await expect(reader.get(2)).rejects.toMatchObject({ code: 'NotFound' });
    await reader.close();
  });
});

describe('a read of the head that fails while the writer appends to it', () => {
  it('is not believed: the head grew, so it is answered again on a fresh view (Chromium: NotReadableError)', async () => {
    const { env, writer, reader: openReader } = await pair();
    await writer.publish(batch(0, 10));
    const d = (await env.root.subdir(['log'], false)) as import('../../src/storage/memory.ts').MemoryDirectory;
    const head = (await d.names()).filter((n) => n.endsWith('.log')).sort()[0]!;
    const before = d.raw(head)!.slice();
    await writer.publish(batch(10, 5)); // appended: the counter does not move
    const after = d.raw(head)!.slice();
    d.setRaw(head, before);
    const reader = await openReader();
    expect(await reader.nextOffset()).toBe(10);
    // The writer's append lands as the reader reads a record, and the read fails as Chromium's does.
    let failed = false;
    env.root.faults.onRead = (file, position) => {
      if (failed || !file.endsWith(head) || position === 0) return;
      failed = true;
      d.setRaw(head, after);
      // As OPFS's snapshot file reports it (storage/opfs.ts).
      throw toLogError(new DOMException('The requested file could not be read', 'NotReadableError'), `reading ${file}`);
    };
    const m = await reader.get(5);
    env.root.faults.onRead = undefined;
    expect(failed).toBe(true);
    expect(valueText(m)).toBe(dec.decode(value(5)));
    expect(await reader.nextOffset()).toBe(15);
    await reader.close();
    await writer.close();
  });
});

describe('a readonly log catching up after a rewrite', () => {
  it('opens again only the files that changed, not every segment', async () => {
    const { env, writer, reader: openReader } = await pair({ rollover: 2048 });
    for (let b = 0; b < 20; b++) await writer.publish(batch(b * 5, 5));
    const reader = await openReader();
    expect((await reader.stat()).segments).toBeGreaterThanOrEqual(10);
    await writer.delete([97]); // rewrites the head only
    const opened: string[] = [];
    env.root.faults.beforeOpen = (file) => void opened.push(file);
    expect(await reader.nextOffset()).toBe(100);
    env.root.faults.beforeOpen = undefined;
    // The sealed segments are the same files (their headers say so): only the head is opened again.
    expect(opened).toHaveLength(1);
    await expect(reader.get(97)).rejects.toMatchObject({ code: 'NotFound' });
    expect(await contents(reader)).toEqual(await contents(writer));
    await reader.close();
    await writer.close();
  });
});

describe('a readonly open while its writer trims and compacts', () => {
  it('opens, whatever moment of the open the writer removes or rewrites a file', async () => {
    // The writer's trim and compaction start at the reader's n-th file read during open, for every n.
    for (let n = 1; n <= 16; n++) {
      const { env, writer, reader: openReader } = await pair({ rollover: 2048 });
      for (let b = 0; b < 12; b++) await writer.publish(batch(b * 5, 5));
      let reads = 0;
      let change: Promise<unknown> | null = null;
      env.root.faults.onRead = () => {
        if (++reads === n) change = trimByCount(writer, 30).then(() => compact(writer, 0));
      };
      const reader = await openReader().catch((err: unknown) => err);
      env.root.faults.onRead = undefined;
      await change;
      if (reader instanceof Error) throw new Error(`read ${n}: ${reader.message}`);
      expect(await contents(reader as Log), `read ${n}`).toEqual(await contents(writer));
      await (reader as Log).close();
      await writer.close();
    }
  });

  it('opens when a listed segment is gone before the reader opens it', async () => {
    const { env, writer, reader: openReader } = await pair({ rollover: 2048 });
    for (let b = 0; b < 12; b++) await writer.publish(batch(b * 5, 5));
    const d = (await env.root.subdir(['log'], false)) as import('../../src/storage/memory.ts').MemoryDirectory;
    let removed = '';
    env.root.faults.beforeOpen = (file) => {
      // The writer's trim lands between the reader's listing and its opening of the oldest segment.
      if (removed || !file.endsWith('.log')) return;
      removed = file.slice(file.lastIndexOf('/') + 1);
      void d.remove(removed);
    };
    const reader = await openReader();
    env.root.faults.beforeOpen = undefined;
    expect(removed).not.toBe('');
    const seen = await contents(reader);
    const first = Math.min(...seen.keys());
    expect(first).toBeGreaterThan(0);
    const expected = new Map([...(await contents(writer))].filter(([offset]) => offset >= first));
    expect(seen).toEqual(expected);
    await reader.close();
    await writer.close();
  });
});
