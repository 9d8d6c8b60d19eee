/**
 * The contract suite's registry: every edge case of the public API
 * (src/types.ts) as one named case, written against the public `Log` only, so
 * the same cases run against every backend (the in-memory engine under vitest
 * in Node, OPFS through the worker in Chromium). No test framework is imported
 * here: a case is an async function that throws on failure (see `./assert.ts`).
 *
 * Each case opens fresh dirs from `ctx.dir()`, with `createDirs: true`, and
 * closes every log it opens, so the writer lock is released for the next one.
 */
import type { Log, Options } from '../../src/types.ts';

export interface ContractContext {
  /** Opens (or reopens) a log at `dir`; each backend supplies it. */
  open(dir: string, options?: Options): Promise<Log>;
  /** A fresh unique dir name for this case, e.g. `contract/<case>-<random>`. */
  dir(): string;
}

export interface ContractCase {
  name: string;
  run(ctx: ContractContext): Promise<void>;
}

/** A list of cases, and the function that adds one to it under a name no other case of the list has. */
export function registry(kind: string): {
  cases: ContractCase[];
  add: (name: string, run: (ctx: ContractContext) => Promise<void>) => void;
} {
  const cases: ContractCase[] = [];
  const add = (name: string, run: (ctx: ContractContext) => Promise<void>): void => {
    if (cases.some((c) => c.name === name)) throw new Error(`duplicate ${kind} case name: ${name}`);
    cases.push({ name, run });
  };
  return { cases, add };
}

export const { cases: contractCases, add: contract } = registry('contract');
