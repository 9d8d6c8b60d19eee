// Page-side tools of projection.spec.ts, loaded into the harness page with a
// dynamic import (as tabs-page.ts is). A projection here counts messages per
// key of a harness log (keys as text), and counts the calls of its `apply`, so
// the spec can tell a resumed fold from a full one. Nothing is judged here.
import { type Projection, projection } from '../../src/index.ts';
import { errorOf } from './shared-tools.ts';

/** A count per key; `pad` (when asked for) makes the state large, so that saving it takes a while. */
export interface Counts {
  counts: Record<string, number>;
  pad?: number[];
}

export interface StartOptions {
  name?: string;
  version?: number;
  every?: number;
  interval?: number;
  /** Numbers in the state's `pad`. */
  pad?: number;
  /** `apply` throws on the message with this value. */
  failOn?: string;
}

export interface Info {
  offset: number;
  status: string;
  snapshot: { offset: number; savedAt: number } | null;
  error: string | null;
  code: string | null;
  failedAt: number | null;
  applied: number;
  counts: Record<string, number>;
}

const decoder = new TextDecoder();
const running = new Map<string, { p: Projection<Counts>; applied: number }>();

function get(id: string) {
  const found = running.get(id);
  if (!found) throw new Error(`no projection ${id}`);
  return found;
}

const tools = {
  /** Starts projection `id` over the harness log `logName`. */
  start(id: string, logName: string, o: StartOptions = {}): void {
    const entry = { p: null as unknown as Projection<Counts>, applied: 0 };
    entry.p = projection(window.harness.log(logName), {
      name: o.name ?? 'counts',
      version: o.version ?? 1,
      initial: { counts: {}, ...(o.pad ? { pad: Array.from({ length: o.pad }, (_, i) => i) } : {}) } as Counts,
      clone: (s) => ({ ...s, counts: { ...s.counts } }),
      apply: (s, m) => {
        entry.applied++;
        if (o.failOn !== undefined && m.value && decoder.decode(m.value) === o.failOn) throw new Error('poisoned');
        const k = m.key ? decoder.decode(m.key) : '-';
        s.counts[k] = (s.counts[k] ?? 0) + 1;
        return s;
      },
      snapshots: { every: o.every ?? 10_000, interval: o.interval ?? 5_000 },
    });
    running.set(id, entry);
  },

  info(id: string): Info {
    const { p, applied } = get(id);
    return {
      offset: p.offset,
      status: p.status,
      snapshot: p.snapshot,
      error: p.error ? String(p.error) : null,
      code: p.error?.code ?? null,
      failedAt: p.failedAt,
      applied,
      counts: p.getState().counts,
    };
  },

  /** Resolves once projection `id` has folded to `offset` (or failed). */
  until(id: string, offset: number): Promise<Info> {
    const { p } = get(id);
    return new Promise((resolve) => {
      const stop = p.subscribe(() => {
        if (p.offset >= offset || p.status === 'failed') {
          queueMicrotask(() => stop());
          resolve(tools.info(id));
        }
      });
    });
  },

  async ready(id: string): Promise<{ ok: true } | ({ ok: false } & ReturnType<typeof errorOf>)> {
    try {
      await get(id).p.ready;
      return { ok: true };
    } catch (err) {
      return { ok: false, ...errorOf(err) };
    }
  },

  save: (id: string) => get(id).p.saveSnapshot(),
  rebuild: (id: string) => get(id).p.rebuild(),
  async close(id: string): Promise<void> {
    await get(id).p.close();
    running.delete(id);
  },

  /** The count per key of every message in the harness log `logName`, read with consume. */
  async fold(logName: string): Promise<Record<string, number>> {
    const log = window.harness.log(logName);
    const counts: Record<string, number> = {};
    for (let offset = 0; ; ) {
      const b = await log.consume(offset, 10_000);
      for (const m of b.messages) {
        const k = m.key ? decoder.decode(m.key) : '-';
        counts[k] = (counts[k] ?? 0) + 1;
      }
      if (b.nextOffset === offset) return counts;
      offset = b.nextOffset;
    }
  },

  /** Publishes `batches` batches of `size` messages keyed `k<i % keys>` to `logName`; resolves to the next offset. */
  async publish(logName: string, batches: number, size: number, keys = 1_000): Promise<number> {
    const log = window.harness.log(logName);
    const enc = new TextEncoder();
    const keyBytes = Array.from({ length: keys }, (_, i) => enc.encode(`k${i}`));
    const value = enc.encode('v');
    let next = 0;
    for (let b = 0; b < batches; b++) {
      next = await log.publish(
        Array.from({ length: size }, (_, i) => ({ key: keyBytes[(b * size + i) % keys], value })),
      );
    }
    return next;
  },
};

export type ProjectionTools = typeof tools;

declare global {
  interface Window {
    projections: ProjectionTools;
  }
}

window.projections = tools;
