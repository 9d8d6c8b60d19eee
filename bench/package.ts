/**
 * opfs-log as users install it: the built package (dist/, which bench/run.mjs
 * builds first), not the sources. Served from the sources, vite would load
 * the worker module by module (slower for every log opened: BENCHMARKS.md); the built
 * worker is one file. Imported by URL, so the type check needs no build.
 */
import type * as Core from '../src/index.ts';
import type * as Replication from '../src/jetstream.ts';

const CORE_URL = '/dist/index.js';
const JETSTREAM_URL = '/dist/jetstream.js';

export const opfsLog = (await import(/* @vite-ignore */ CORE_URL)) as typeof Core;
export const replication = (await import(/* @vite-ignore */ JETSTREAM_URL)) as typeof Replication;
