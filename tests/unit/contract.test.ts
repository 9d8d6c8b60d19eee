// The shared cases — the contract suite (tests/contract/cases.ts) and the
// event-sourcing kit's (tests/contract/kit/) — against the Node backend: the
// engine on in-memory files and fake-indexeddb, a fresh env for every case,
// once with files written in place (as sync access handles write) and once
// staged and committed whole (as the asynchronous OPFS backend writes), and
// once with at most two segment files open (`maxOpenFiles: 2`), so that
// every path that opens a segment's file again runs.
// The browser tier runs the very same cases on OPFS through the worker.
import { describe, it } from 'vitest';
import { IDBFactory } from 'fake-indexeddb';
import { memoryEnv } from '../../src/storage/memory-env.ts';
import { openEngine } from '../../src/client/open-engine.ts';
import { contractCases, type ContractCase, type ContractContext } from '../contract/cases.ts';
import { kitCases } from '../contract/kit/all.ts';
import type { Options } from '../../src/types.ts';

function slug(name: string): string {
  return name
    .replace(/[^a-zA-Z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
}

/** `options` with `defaults` under them, where they are an object (a case may pass anything, to see it refused). */
function withDefaults(options: unknown, defaults: Options): unknown {
  if (options === undefined) return defaults;
  return typeof options === 'object' && options !== null && !Array.isArray(options)
    ? { ...defaults, ...options }
    : options;
}

function runOnMemory(
  title: string,
  prefix: string,
  cases: ContractCase[],
  staged = false,
  defaults: Options = {},
): void {
  describe(title, () => {
    for (const c of cases) {
      it(c.name, async () => {
        const env = memoryEnv(new IDBFactory(), { staged });
        let n = 0;
        const ctx: ContractContext = {
          open: (dir, options) => openEngine(env, dir, withDefaults(options, defaults) as Options | undefined),
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
runOnMemory('contract (memory backend, two open files)', 'contract', contractCases, false, { maxOpenFiles: 2 });
runOnMemory('event-sourcing kit (memory backend, two open files)', 'kit', kitCases, false, { maxOpenFiles: 2 });
runOnMemory('contract (memory backend, staged files, two open files)', 'contract', contractCases, true, {
  maxOpenFiles: 2,
});
runOnMemory('event-sourcing kit (memory backend, staged files, two open files)', 'kit', kitCases, true, {
  maxOpenFiles: 2,
});
