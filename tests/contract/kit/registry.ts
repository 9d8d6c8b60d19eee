/**
 * The event-sourcing kit's cases (live tail, typed logs, cursors,
 * retention, compaction, bad input), in the contract suite's shape: each is an async
 * function over `ContractContext` that throws on failure, so the same cases
 * run on the memory backend under vitest (tests/unit/contract.test.ts) and on OPFS
 * through the worker in Chromium (tests/browser/kit.spec.ts).
 */
import { registry } from '../registry.ts';

export const { cases: kitCases, add: kitCase } = registry('kit');
