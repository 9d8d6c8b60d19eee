/**
 * How a sealed segment loads its index when it is not in memory: opened from
 * its IndexedDB summary (`Segment.fromSummary`), or dropped to keep the
 * loaded indexes within their bound (segment/loaded-indexes.ts). Apart from
 * segment.ts so that the bound, which makes these for segments the writer
 * sealed, needs no import of the segment itself.
 */
import type { KeyFilter, SavedIndex, SegmentRecord } from '../indexes/store.ts';

/** What IndexedDB should keep of a segment: `Segment.saved`. */
export interface SavesIndex {
  saved(dir: string, sealed: boolean): SavedIndex;
}

/** Where a segment's index comes from when it is not loaded, and where it tells what it found. */
export interface LazyIndex {
  /** Its IndexedDB record, if there is one. */
  record(): Promise<SegmentRecord | undefined>;
  /** Its key filter, if there is one (without, every key lookup loads the index until it is saved again). */
  filter(): Promise<KeyFilter | undefined>;
  /** The file is not the one the summary describes: an open should not trust the summary again. */
  changed(): void;
  /** The index was rebuilt from the file (its record was missing or of another file), or has no key filter: save it. */
  rebuilt(segment: SavesIndex): void;
}
