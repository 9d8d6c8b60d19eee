// The contract suite (tests/contract/cases.ts) against the Node backend: the
// engine on in-memory files and fake-indexeddb, a fresh env for every case.
// The browser tier runs the same cases on OPFS through the worker.
import { describe, it } from 'vitest';
import { IDBFactory } from 'fake-indexeddb';
import { memoryEnv } from '../../src/env/memory.ts';
import { openEngine } from '../../src/log/open.ts';
import { contractCases } from '../contract/cases.ts';
import type { ContractContext } from '../contract/cases.ts';

function slug(name: string): string {
  return name.replace(/[^a-zA-Z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

describe('contract (memory backend)', () => {
  for (const contractCase of contractCases) {
    it(contractCase.name, async () => {
      const env = memoryEnv(new IDBFactory());
      let n = 0;
      const ctx: ContractContext = {
        open: (dir, options) => openEngine(env, dir, options),
        dir: () => `contract/${slug(contractCase.name)}-${++n}-${Math.random().toString(36).slice(2, 8)}`,
      };
      await contractCase.run(ctx);
    });
  }
});
