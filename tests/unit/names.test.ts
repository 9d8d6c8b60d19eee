/** Segment file names: klevdb's `%020d.log`, and nothing else taken for one. */
import { describe, expect, it } from 'vitest';
import { parseSegmentName, segmentName } from '../../src/segment/names.ts';

describe('segment file names', () => {
  it('gives back the base offset of every name segmentName makes', () => {
    for (const base of [0, 1, 9, 10, 6_000, 123_456_789, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
      expect(segmentName(base)).toHaveLength(24);
      expect(parseSegmentName(segmentName(base))).toBe(base);
    }
  });

  it('takes no other file for a segment', () => {
    const others = [
      '',
      '.log',
      '0000000000000000000.log', // 19 digits
      '000000000000000000000.log', // 21
      '0000000000000000000a.log',
      '0000000000000000000/.log', // the characters either side of the digits
      '0000000000000000000:.log',
      '-0000000000000000001.log',
      '00000000000000000000.lo',
      '00000000000000000000.logs',
      '00000000000000000000.LOG',
      '00000000000000000000.log.rewrite',
      '00000000000000000000.rewrite.log',
      '０0000000000000000000.log', // a full-width digit
      'producers',
      'changes',
    ];
    for (const name of others) expect(parseSegmentName(name), name).toBeNull();
  });
});
