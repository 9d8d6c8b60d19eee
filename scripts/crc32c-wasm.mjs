#!/usr/bin/env node
/**
 * Assembles the WebAssembly module of CRC-32C (src/codec/crc32c-wasm.ts
 * loads it) and writes its bytes, base64, into src/codec/crc32c-module.ts:
 * the package carries the module in its source, so no bundler has to know
 * about a .wasm file and nothing is fetched at run time. Run it after
 * changing the code below; a unit test (tests/unit/crc32c.test.ts) fails if
 * the committed bytes are not what this assembles.
 *
 *   node scripts/crc32c-wasm.mjs
 *
 * The module: one memory of MEMORY_PAGES pages, exported as `memory`; the
 * caller writes the sixteen slicing tables (src/codec/crc32.ts's, 16 KiB)
 * at byte 0, then the bytes to checksum at TABLES_SIZE and after. Two
 * functions:
 *
 * - `crc(start, end, prev)`: the CRC-32C of memory [start, end), continuing
 *   `prev` (as crc32c's `prev`), slicing-by-16 as the JavaScript does;
 * - `seal(start, end)`: the records lying one after another from `start`
 *   each get their checksum (the CRC-32C of their bytes from the field after
 *   it to their end), the framing trusted (the caller checked it), up to the
 *   first that does not end by `end`; returns where that one starts.
 *
 * WebAssembly has no carry-less multiply, not even in SIMD, so the folding
 * that makes CRCs fast in native code is out of reach; table lookups cannot
 * be vectorised without a gather. What it gains over JavaScript is code
 * without bounds checks on each table read and a whole batch in one call.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const MEMORY_PAGES = 2;
export const TABLES_SIZE = 16 * 256 * 4;

// Opcodes used below (the WebAssembly core specification, binary format).
const op = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  call: 0x10,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i32Load8u: 0x2d,
  i32Store: 0x36,
  i32Const: 0x41,
  i32LtU: 0x49,
  i32GeU: 0x4f,
  i32GtU: 0x4b,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32And: 0x71,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrU: 0x76,
};
const VOID = 0x40;
const I32 = 0x7f;

function uleb(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n) {
  const out = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

const vec = (items) => [...uleb(items.length), ...items.flat()];
const section = (id, body) => [id, ...uleb(body.length), ...body];
const name = (s) => vec([...Buffer.from(s, 'utf8')]);
const get = (l) => [op.localGet, l];
const set = (l) => [op.localSet, l];
const i32 = (n) => [op.i32Const, ...sleb(n)];
/** i32.load with alignment 2^2 (a hint only: unaligned loads are allowed) and a constant offset. */
const load = (offset) => [op.i32Load, 2, ...uleb(offset)];

/** Table k's entry for byte `shift` bits up in the i32 on the stack: (w >>> shift & 255) * 4, loaded at 1024 k. */
function lookup(k, shift) {
  const index = shift === 0 ? [...i32(2), op.i32Shl] : [...i32(shift - 2), op.i32ShrU];
  return [...index, ...i32(1020), op.i32And, ...load(1024 * k)];
}

// crc(start, end, prev): params 0-2, locals 3 (c) and 4 (w).
const [P, END, PREV, C, W] = [0, 1, 2, 3, 4];
/** The four table reads of the word in W, its bytes going to tables k, k-1, k-2, k-3. */
const word = (k) => [
  ...get(W),
  ...lookup(k, 0),
  ...get(W),
  ...lookup(k - 1, 8),
  op.i32Xor,
  ...get(W),
  ...lookup(k - 2, 16),
  op.i32Xor,
  ...get(W),
  ...lookup(k - 3, 24),
  op.i32Xor,
];
const crcBody = [
  ...get(PREV),
  ...i32(-1),
  op.i32Xor,
  ...set(C),
  // Sixteen bytes a turn while sixteen are left.
  op.block,
  VOID,
  op.loop,
  VOID,
  ...get(END),
  ...get(P),
  op.i32Sub,
  ...i32(16),
  op.i32LtU,
  op.brIf,
  1,
  ...get(C),
  ...get(P),
  ...load(0),
  op.i32Xor,
  ...set(W),
  ...word(15),
  ...get(P),
  ...load(4),
  ...set(W),
  ...word(11),
  op.i32Xor,
  ...get(P),
  ...load(8),
  ...set(W),
  ...word(7),
  op.i32Xor,
  ...get(P),
  ...load(12),
  ...set(W),
  ...word(3),
  op.i32Xor,
  ...set(C),
  ...get(P),
  ...i32(16),
  op.i32Add,
  ...set(P),
  op.br,
  0,
  op.end,
  op.end,
  // Then a byte a turn.
  op.block,
  VOID,
  op.loop,
  VOID,
  ...get(P),
  ...get(END),
  op.i32GeU,
  op.brIf,
  1,
  ...get(C),
  ...get(P),
  op.i32Load8u,
  0,
  0,
  op.i32Xor,
  ...lookup(0, 0),
  ...get(C),
  ...i32(8),
  op.i32ShrU,
  op.i32Xor,
  ...set(C),
  ...get(P),
  ...i32(1),
  op.i32Add,
  ...set(P),
  op.br,
  0,
  op.end,
  op.end,
  ...get(C),
  ...i32(-1),
  op.i32Xor,
];

// seal(start, end): params 0-1, local 2 (the record's end). Record layout: src/codec/record.ts.
const [AT, LAST, REC_END] = [0, 1, 2];
const sealBody = [
  op.block,
  VOID,
  op.loop,
  VOID,
  // Stop before a header that is not whole...
  ...get(LAST),
  ...get(AT),
  op.i32Sub,
  ...i32(32),
  op.i32LtU,
  op.brIf,
  1,
  // ...or a record that is not: its end is at + 32 + keyLen + valueLen.
  ...get(AT),
  ...get(AT),
  ...load(8),
  op.i32Add,
  ...get(AT),
  ...load(12),
  op.i32Add,
  ...i32(32),
  op.i32Add,
  op.localTee,
  REC_END,
  ...get(LAST),
  op.i32GtU,
  op.brIf,
  1,
  // Its checksum, of [at + 4, end), at `at`.
  ...get(AT),
  ...get(AT),
  ...i32(4),
  op.i32Add,
  ...get(REC_END),
  ...i32(0),
  op.call,
  0,
  op.i32Store,
  2,
  0,
  ...get(REC_END),
  ...set(AT),
  op.br,
  0,
  op.end,
  op.end,
  ...get(AT),
];

/** The module's bytes. */
export function assemble() {
  const types = section(
    1,
    vec([
      [0x60, ...vec([I32, I32, I32]), ...vec([I32])],
      [0x60, ...vec([I32, I32]), ...vec([I32])],
    ]),
  );
  const funcs = section(3, vec([[0], [1]]));
  const memory = section(5, vec([[0x00, ...uleb(MEMORY_PAGES)]]));
  const exports = section(
    7,
    vec([
      [...name('memory'), 0x02, 0],
      [...name('crc'), 0x00, 0],
      [...name('seal'), 0x00, 1],
    ]),
  );
  const body = (locals, code) => {
    const b = [...vec(locals), ...code, op.end];
    return [...uleb(b.length), ...b];
  };
  const code = section(10, vec([body([[2, I32]], crcBody), body([[1, I32]], sealBody)]));
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...types,
    ...funcs,
    ...memory,
    ...exports,
    ...code,
  ]);
}

/** The TypeScript file that carries the bytes. */
export function moduleSource(bytes = assemble()) {
  return `// Generated by scripts/crc32c-wasm.mjs (the code is there): do not edit.
/** The CRC-32C WebAssembly module, base64 (${bytes.length} bytes). */
export const CRC32C_WASM =
  '${Buffer.from(bytes).toString('base64')}';
/** Pages of its memory, and where the bytes to checksum may start (after the tables). */
export const CRC32C_WASM_PAGES = ${MEMORY_PAGES};
export const CRC32C_WASM_DATA = ${TABLES_SIZE};
`;
}

export const MODULE_PATH = fileURLToPath(new URL('../src/codec/crc32c-module.ts', import.meta.url));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(MODULE_PATH, moduleSource());
  console.log(`wrote ${MODULE_PATH}`);
}
