/**
 * File names that stand for an offset, as klevdb names them (`%020d`):
 * zero-padded to 20 digits, which holds any offset, so sorting the names
 * sorts the offsets.
 */

/** Digits of an offset in a file name. */
export const OFFSET_DIGITS = 20;
export const SEGMENT_SUFFIX = '.log';
const SEGMENT_NAME = new RegExp(`^(\\d{${OFFSET_DIGITS}})\\.log$`);

/** `base`, padded, then `suffix`: the name of a file about the offsets from `base` on. */
export function offsetFileName(base: number, suffix: string): string {
  return String(base).padStart(OFFSET_DIGITS, '0') + suffix;
}

export function segmentName(base: number): string {
  return offsetFileName(base, SEGMENT_SUFFIX);
}

/** The base offset a segment file name stands for, or null for other files. */
export function parseSegmentName(name: string): number | null {
  const m = SEGMENT_NAME.exec(name);
  return m ? Number(m[1]) : null;
}
