/**
 * CRC-32C in WebAssembly (scripts/crc32c-wasm.mjs assembles the module), for
 * the checksums of a publish: faster than the JavaScript from about a KiB
 * up, so a batch's records are copied into the module's memory a window at
 * a time and sealed there in one call per window, not a call per record
 * (figures: BENCHMARKS.md, "Figures behind the code").
 *
 * Where WebAssembly cannot be compiled (none at all, or a Content Security
 * Policy without 'wasm-unsafe-eval') `crc32cWasm()` is null and the callers
 * use the JavaScript in crc32.ts: same results, slower.
 */
import { CASTAGNOLI } from './crc32.ts';
import { CRC32C_WASM, CRC32C_WASM_DATA, CRC32C_WASM_PAGES } from './crc32c-module.ts';

/** Bytes copied into the module per call: what its memory holds after the tables. */
const WINDOW = CRC32C_WASM_PAGES * 65536 - CRC32C_WASM_DATA;
const DATA = CRC32C_WASM_DATA;

interface Exports {
  memory: WebAssembly.Memory;
  crc(start: number, end: number, prev: number): number;
  seal(start: number, end: number): number;
}

/** The compiled module, one per realm (a page, a worker). */
export class Crc32cWasm {
  private readonly mem: Uint8Array;

  private constructor(private readonly fns: Exports) {
    this.mem = new Uint8Array(fns.memory.buffer);
    new Uint32Array(fns.memory.buffer, 0, CASTAGNOLI.length).set(CASTAGNOLI);
  }

  /** Compiles the module, or returns null where WebAssembly is missing or refused. */
  static load(): Crc32cWasm | null {
    try {
      const bytes = Uint8Array.from(atob(CRC32C_WASM), (c) => c.charCodeAt(0));
      // Synchronous: the module is far below the 4 KB that Chromium compiles synchronously on a page.
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
      return new Crc32cWasm(instance.exports as unknown as Exports);
    } catch {
      return null;
    }
  }

  /** As crc32c (crc32.ts): the CRC-32C of `bytes[start, end)`, continuing `prev`. */
  crc32c(bytes: Uint8Array, start = 0, end = bytes.length, prev = 0): number {
    let crc = prev;
    for (let at = start; at < end; at += WINDOW) {
      const n = Math.min(WINDOW, end - at);
      this.mem.set(bytes.subarray(at, at + n), DATA);
      crc = this.fns.crc(DATA, DATA + n, crc);
    }
    return crc >>> 0;
  }

  /**
   * Gives the records lying one after another in `bytes` from `start` their
   * checksums (record.ts's layout; the caller checked the framing), a
   * window at a time, up to `end` or to the first record larger than a
   * window; returns where it stopped.
   */
  sealRecords(bytes: Uint8Array, start: number, end: number): number {
    let at = start;
    while (at < end) {
      const n = Math.min(WINDOW, end - at);
      this.mem.set(bytes.subarray(at, at + n), DATA);
      const sealed = this.fns.seal(DATA, DATA + n) - DATA;
      if (sealed === 0) break;
      bytes.set(this.mem.subarray(DATA, DATA + sealed), at);
      at += sealed;
    }
    return at;
  }
}

let loaded: Crc32cWasm | null | undefined;

/** This realm's module, compiled on first use; null where WebAssembly is missing or refused. */
export function crc32cWasm(): Crc32cWasm | null {
  if (loaded === undefined) loaded = Crc32cWasm.load();
  return loaded;
}
