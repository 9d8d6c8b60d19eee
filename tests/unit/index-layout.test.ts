/**
 * The layout version of the IndexedDB index records: a record packed in
 * another layout (an older or newer opfs-log wrote it), or in none, is never
 * unpacked; its segment is rescanned and the record written anew.
 */
import { assert, describe, expect, it } from 'vitest';
import { SEGMENT_HEADER_SIZE } from '../../src/codec/segment-header.ts';
import { PACKED_INDEX_LAYOUT } from '../../src/indexes/packed.ts';
import { IndexStore, type SegmentRecord } from '../../src/indexes/store.ts';
import { segmentName } from '../../src/segment/names.ts';
import { allOffsets, closedLog, enc, headFile, openLog } from './helpers.ts';

describe('the layout of IndexedDB index records', () => {
  it('ignores a record of another or no layout, rescans its segment and writes a current one', async () => {
    const env = await closedLog(10, 1000);

    const store = await IndexStore.open(env.idb);
    const saved = await store.load('log');
    const [foreign, bare] = [...saved.keys()].slice(1, 3);
    expect(saved.size).toBeGreaterThan(3);
    assert(foreign !== undefined && bare !== undefined);
    expect([...saved.values()].every((r) => r.layout === PACKED_INDEX_LAYOUT)).toBe(true);
    await store.put({ record: { ...saved.get(foreign)!, layout: PACKED_INDEX_LAYOUT + 1 } });
    const { layout: _, ...withoutLayout } = saved.get(bare)!;
    await store.put({ record: withoutLayout as SegmentRecord });
    expect([...(await store.load('log')).keys()]).not.toContain(foreign);
    store.close();

    const read = new Map<string, number>();
    env.root.faults.onRead = (path, _position, length) => {
      const name = path.slice(path.lastIndexOf('/') + 1);
      read.set(name, (read.get(name) ?? 0) + length);
    };
    const reopened = await openLog(env, 'log', { rollover: 1000 });
    env.root.faults.onRead = undefined;
    const { d, name: head } = await headFile(env);
    for (const [base, record] of saved) {
      const name = segmentName(base);
      // An ignored record costs a scan of the whole file; the head's its header; a sealed one's nothing
      // (its file opens on its first read).
      const ignored = base === foreign || base === bare;
      const expected = ignored ? d.raw(name)!.length : name === head ? SEGMENT_HEADER_SIZE : undefined;
      expect(read.get(name), `bytes read of ${name} (record of ${record.count} messages)`).toBe(expected);
    }
    expect(await allOffsets(reopened)).toEqual([...Array(100).keys()]);
    expect((await reopened.getByKey(enc.encode('k3'))).offset).toBe(93);
    await reopened.close();

    const again = await IndexStore.open(env.idb);
    const rewritten = await again.load('log');
    again.close();
    expect([...rewritten.keys()]).toEqual([...saved.keys()]);
    for (const [base, record] of rewritten) {
      expect(record.layout, `layout of the record of ${base}`).toBe(PACKED_INDEX_LAYOUT);
      expect(record.count).toBe(saved.get(base)!.count);
      expect(record.size).toBe(saved.get(base)!.size);
    }
  });
});
