// The benchmark's targets (shown in BENCHMARKS.md), and how a run is judged against them.

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const OURS = 'opfs-log';

/**
 * Each target: a workload of opfs-log, and checks of its median (higher is
 * better unless `atMost`): `times` against peers' medians of the workload,
 * `timesOwn` against opfs-log's own median of another workload, `timesOf`
 * against a peer's median of another workload. The figures are issue 14's
 * where it set one (the earlier issues' otherwise).
 */
export const TARGETS = [
  {
    workload: 'publish 100k',
    atLeast: 250_000,
    times: { 'Dexie 4': 60, 'SQLite-WASM': 2 },
    timesOf: [{ system: 'raw OPFS', workload: 'publish 100k, worker only (the limit)', factor: 0.3 }],
  },
  // From a tab that does not own the log every call crosses a BroadcastChannel to the owner's tab and back.
  { workload: 'publish 100k, from another tab', timesOwn: { 'publish 100k': 0.5 } },
  { workload: 'publish 1k singly', atMost: 0.5 },
  { workload: 'publish 1k singly, from another tab', atMost: 1 },
  { workload: 'consume 100k', atLeast: 2_500_000, times: { 'Dexie 4': 20, 'SQLite-WASM': 2 } },
  { workload: 'get 10k random', times: { 'Dexie 4': 2.5, 'SQLite-WASM': 2 } },
  { workload: 'getByKey 10k random', times: { 'Dexie 4': 2.5, 'SQLite-WASM': 2 } },
  { workload: 'getByTime 1k random', times: { 'Dexie 4': 2.5, 'SQLite-WASM': 2 } },
  { workload: 'publish 64 MiB (4 KiB values)', times: { 'raw OPFS': 0.5 } },
  { workload: 'reopen 1M, first get', atMost: 200 },
  { workload: '1M open, worker heap', atMost: 16 },
  // Replication (issue 13): push and pull against what the NATS client does alone from the same page.
  { workload: 'JetStream push 100k', timesOwn: { 'JetStream push 100k, NATS client pipelined (the limit)': 0.8 } },
  { workload: 'JetStream pull 100k', timesOwn: { 'JetStream pull 100k, ordered consumer (the limit)': 0.8 } },
  // Projections (issue 21): a counter per key over 10k keys folded from 1M messages (bench/projection.mjs).
  { workload: 'projection 1M, full replay', atLeast: 1_500_000 },
  { workload: 'projection 1M, from a snapshot', atMost: 50 },
  { workload: 'projection 1M, from a fresh page, beyond the reopen', atMost: 50 },
  { workload: 'projection, publish to the state, same tab', atMost: 2 },
  { workload: 'projection, publish to the state, another tab', atMost: 20 },
  { workload: 'projection, saving a 10 MB snapshot, longest task', atMost: 50 },
];

export function evaluateTargets(medians, targets) {
  return targets.map((t) => {
    const ours = medians[OURS]?.[t.workload]?.value;
    const checks = [];
    if (t.atLeast !== undefined) checks.push({ what: `≥ ${t.atLeast.toLocaleString('en')}`, met: ours >= t.atLeast });
    if (t.atMost !== undefined) checks.push({ what: `≤ ${t.atMost}`, met: ours <= t.atMost });
    for (const [peer, factor] of Object.entries(t.times ?? {})) {
      const theirs = medians[peer]?.[t.workload]?.value;
      const ratio = ours / theirs;
      checks.push({ what: `≥ ${factor}× ${peer}`, ratio, met: ratio >= factor });
    }
    for (const { system, workload, factor } of t.timesOf ?? []) {
      const ratio = ours / medians[system]?.[workload]?.value;
      checks.push({ what: `≥ ${factor}× ${system} ${workload}`, ratio, met: ratio >= factor });
    }
    for (const [workload, factor] of Object.entries(t.timesOwn ?? {})) {
      const ratio = ours / medians[OURS]?.[workload]?.value;
      checks.push({ what: `≥ ${factor}× ${workload}`, ratio, met: ratio >= factor });
    }
    return { workload: t.workload, value: ours, checks, met: checks.every((c) => c.met) };
  });
}
