// The event-sourcing kit's cases (tests/contract/kit/) against the Node
// backend: the engine on in-memory files and fake-indexeddb, a fresh env for
// every case. The browser tier runs the same cases through the worker.
import { describe, it } from 'vitest';
import { IDBFactory } from 'fake-indexeddb';
import { memoryEnv } from '../../src/env/memory.ts';
import { openEngine } from '../../src/log/open.ts';
import { kitCases } from '../contract/kit/all.ts';
import type { ContractContext } from '../contract/cases.ts';

function slug(name: string): string {
  return name.replace(/[^a-zA-Z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

describe('event-sourcing kit (memory backend)', () => {
  for (const kitCase of kitCases) {
    it(kitCase.name, async () => {
      const env = memoryEnv(new IDBFactory());
      let n = 0;
      const ctx: ContractContext = {
        open: (dir, options) => openEngine(env, dir, options),
        dir: () => `kit/${slug(kitCase.name)}-${++n}`,
      };
      await kitCase.run(ctx);
    });
  }
});
