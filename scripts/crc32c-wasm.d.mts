/** Types of crc32c-wasm.mjs, for its unit test (tests/unit/crc32c.test.ts). */
export const MEMORY_PAGES: number;
export const TABLES_SIZE: number;
export const MODULE_PATH: string;
export function assemble(): Uint8Array;
export function moduleSource(bytes?: Uint8Array): string;
