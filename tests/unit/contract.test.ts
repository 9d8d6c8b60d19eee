// The shared cases — the contract suite (tests/contract/cases.ts) and the
// event-sourcing kit's (tests/contract/kit/) — against the Node backend: the
// engine on in-memory files and fake-indexeddb, a fresh env for every case,
// once with files written in place (as sync access handles write) and once
// staged and committed whole (as the asynchronous OPFS backend writes).
// The browser tier runs the very same cases on OPFS through the worker.
import { describe, it } from 'vitest';
import { IDBFactory } from 'fake-indexeddb';
import { memoryEnv } from '../../src/storage/memory-env.ts';
import { openEngine } from '../../src/client/open-engine.ts';
import { contractCases, type ContractCase, type ContractContext } from '../contract/cases.ts';
import { kitCases } from '../contract/kit/all.ts';

function slug(name: string): string {
  return name
    .replace(/[^a-zA-Z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
}

function runOnMemory(title: string, prefix: string, cases: ContractCase[], staged = false): void {
  describe(title, () => {
    for (const c of cases) {
      it(c.name, async () => {
        const env = memoryEnv(new IDBFactory(), { staged });
        let n = 0;
        const ctx: ContractContext = {
          open: (dir, options) => openEngine(env, dir, options),
          dir: () => `${prefix}/${slug(c.name)}-${++n}-${Math.random().toString(36).slice(2, 8)}`,
        };
        await c.run(ctx);
      });
    }
  });
}

runOnMemory('contract (memory backend)', 'contract', contractCases);
runOnMemory('event-sourcing kit (memory backend)', 'kit', kitCases);
runOnMemory('contract (memory backend, staged files)', 'contract', contractCases, true);
runOnMemory('event-sourcing kit (memory backend, staged files)', 'kit', kitCases, true);
