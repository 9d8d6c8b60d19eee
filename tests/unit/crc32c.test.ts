/**
 * CRC-32C in WebAssembly against the JavaScript (the reference, itself
 * checked in codec.test.ts), and the JavaScript left alone where
 * WebAssembly is refused.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { crc32c } from '../../src/codec/crc32.ts';
import { crc32cWasm } from '../../src/codec/crc32c-wasm.ts';
import { encodeBatch, readRecord } from '../../src/codec/record.ts';
import { sealBatch } from '../../src/codec/seal.ts';
import { MEMORY_PAGES, MODULE_PATH, moduleSource, TABLES_SIZE } from '../../scripts/crc32c-wasm.mjs';

/** Bytes the module takes per call (crc32c-wasm.ts's window). */
const WINDOW = MEMORY_PAGES * 65536 - TABLES_SIZE;

/** Deterministic pseudo-random bytes. */
function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function wasm() {
  const module = crc32cWasm();
  if (!module) throw new Error('WebAssembly did not compile in Node');
  return module;
}

describe('CRC-32C in WebAssembly', () => {
  it('is what scripts/crc32c-wasm.mjs assembles', () => {
    expect(readFileSync(MODULE_PATH, 'utf8')).toBe(moduleSource());
  });

  it('matches the standard check value', () => {
    expect(wasm().crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });

  it('agrees with the JavaScript on every length 0–4096 at every alignment, and continuing prev', () => {
    const bytes = randomBytes(4096 + 16, 7);
    const w = wasm();
    for (let length = 0; length <= 4096; length++) {
      for (let start = 0; start < 16; start++) {
        const end = start + length;
        const js = crc32c(bytes, start, end);
        if (w.crc32c(bytes, start, end) !== js) expect(w.crc32c(bytes, start, end), `${start}+${length}`).toBe(js);
      }
      // Split anywhere, the second part continuing the first's.
      const cut = (length * 37) % (length + 1);
      expect(w.crc32c(bytes, cut, length, w.crc32c(bytes, 0, cut))).toBe(crc32c(bytes, 0, length));
      expect(w.crc32c(bytes, 0, length, length)).toBe(crc32c(bytes, 0, length, length));
    }
    // ~270 MB checksummed: about a second alone, several beside other work on a loaded machine.
  }, 60_000);

  it('agrees on inputs longer than its window, which it takes a window at a time', () => {
    const bytes = randomBytes(3 * WINDOW + 100, 11);
    const w = wasm();
    for (const length of [WINDOW - 1, WINDOW, WINDOW + 1, 2 * WINDOW + 17, 3 * WINDOW + 100])
      expect(w.crc32c(bytes, 0, length)).toBe(crc32c(bytes, 0, length));
    expect(w.crc32c(bytes, 3, WINDOW + 5, 0xdeadbeef)).toBe(crc32c(bytes, 3, WINDOW + 5, 0xdeadbeef));
  });
});

/** A batch of records of the sizes given, random bytes, keys of 5 bytes (or none). */
function batchOf(valueSizes: number[]): Uint8Array {
  return encodeBatch({
    keys: valueSizes.map((_, i) => (i % 3 === 0 ? new Uint8Array(0) : randomBytes(5, i + 1))),
    values: valueSizes.map((n, i) => randomBytes(n, i + 100)),
    timesUs: Float64Array.from(valueSizes, (_, i) => 1_700_000_000_000_000 + i),
  });
}

/** Every record of a sealed batch passes the JavaScript checksum; returns how many. */
function verifiedRecords(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let n = 0;
  for (let at = 0; at < bytes.length; n++) {
    const r = readRecord(bytes, view, at, bytes.length);
    expect(r, `record ${n} at byte ${at}`).not.toBeNull();
    at += r!.size;
  }
  return n;
}

describe('sealing a batch', () => {
  it('gives every record the JavaScript checksum, across windows and past a record larger than one', () => {
    // ~150-byte records over several windows, one record straddling each window's end, a record larger than
    // a window between them, and one exactly a window long.
    const sizes = [
      ...Array.from({ length: 2000 }, (_, i) => 100 + (i % 97)),
      WINDOW + 1000,
      10,
      WINDOW - 32,
      ...Array.from({ length: 50 }, (_, i) => i),
    ];
    const bytes = batchOf(sizes);
    expect(sealBatch(bytes, 5, () => undefined)).toBe(sizes.length);
    expect(verifiedRecords(bytes)).toBe(sizes.length);
  });
});

describe('where WebAssembly is refused', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it('is null, and a batch is sealed in JavaScript alike', async () => {
    // As a Content Security Policy without 'wasm-unsafe-eval' does: compiling throws.
    class Refused {
      constructor() {
        throw new WebAssembly.CompileError('WebAssembly.Module(): Refused to compile');
      }
    }
    vi.stubGlobal('WebAssembly', { ...WebAssembly, Module: Refused });
    vi.resetModules();
    const fresh = await import('../../src/codec/crc32c-wasm.ts');
    const seal = await import('../../src/codec/seal.ts');
    expect(fresh.crc32cWasm()).toBeNull();
    const sizes = Array.from({ length: 300 }, (_, i) => i * 3);
    const bytes = batchOf(sizes);
    expect(seal.sealBatch(bytes, 0, () => undefined)).toBe(sizes.length);
    expect(verifiedRecords(bytes)).toBe(sizes.length);
  });
});
