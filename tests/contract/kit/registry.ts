/**
 * The event-sourcing kit's cases (live tail, typed logs, cursors,
 * retention, compaction), in the contract suite's shape: each is an async
 * function over `ContractContext` that throws on failure, so the same cases
 * run on the memory backend under vitest (tests/unit/contract.test.ts) and on OPFS
 * through the worker in Chromium (tests/browser/kit.spec.ts).
 */
import type { ContractCase, ContractContext } from '../registry.ts';

export const kitCases: ContractCase[] = [];

export function kitCase(name: string, run: (ctx: ContractContext) => Promise<void>): void {
  if (kitCases.some((c) => c.name === name)) throw new Error(`duplicate kit case name: ${name}`);
  kitCases.push({ name, run });
}
