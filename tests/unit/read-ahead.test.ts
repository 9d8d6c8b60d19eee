/**
 * Reading ahead for in-order readers, the client's (protocol/read-ahead.ts;
 * the engine reads nothing ahead: BENCHMARKS.md says why). Whatever was read
 * ahead, a consume answers as the log is when it is made.
 */
import { resolveOptions } from '../../src/engine/options.ts';
import { describe, expect, it } from 'vitest';
import { decodeRecords } from '../../src/codec/record.ts';
import { LogEngine } from '../../src/engine/engine.ts';
import { LogFacade } from '../../src/client/facade.ts';
import { callsThrough, invoke } from '../../src/protocol/calls.ts';
import { withReadAhead } from '../../src/protocol/read-ahead.ts';
import type { Log } from '../../src/types.ts';
import { allOffsets, freshEnv, gen } from './helpers.ts';

/** A writer's log over `withReadAhead(engine)`, counting the consumes that reach the engine. */
async function readingAhead(): Promise<{ log: Log; reached: number[] }> {
  const env = freshEnv();
  const engine = await LogEngine.open(env, 'log', resolveOptions({ createDirs: true, keyIndex: true, rollover: 400 }));
  const reached: number[] = [];
  const plain = callsThrough((call, args) => invoke(engine, call, args));
  plain.consume = (offset, maxCount) => {
    reached.push(offset);
    return engine.consume(offset, maxCount);
  };
  return { log: new LogFacade(withReadAhead(plain), engine.options, 'log', undefined, env), reached };
}

const offsets = async (log: Log, from: number, max: number) =>
  (await log.consume(from, max)).messages.map((m) => m.offset);

describe('read-ahead', () => {
  it('asks for the next batch once a consume continues the last one, and answers from it', async () => {
    const { log, reached } = await readingAhead();
    await log.publish(gen(30, 0));
    expect(await offsets(log, 0, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(reached).toEqual([0]); // the first consume: nothing in order yet
    expect(await offsets(log, 5, 5)).toEqual([5, 6, 7, 8, 9]);
    expect(reached).toEqual([0, 5, 10]); // in order: 10 is asked for ahead
    expect(await offsets(log, 10, 5)).toEqual([10, 11, 12, 13, 14]);
    expect(reached).toEqual([0, 5, 10, 15]); // answered from what was read ahead
    expect(await offsets(log, 3, 2)).toEqual([3, 4]); // out of order: asked for, nothing ahead
    expect(reached).toEqual([0, 5, 10, 15, 3]);
    await log.close();
  });

  it('never answers with a batch read before a delete or a publish', async () => {
    const { log } = await readingAhead();
    await log.publish(gen(30, 0));
    await log.consume(0, 5);
    await log.consume(5, 5); // 10..14 read ahead
    await log.delete([10, 11]);
    expect(await offsets(log, 10, 5)).toEqual([12, 13, 14, 15, 16]);
    await log.consume(17, 100); // in order: 17.. to the segment's end read ahead, then more published
    await log.publish(gen(3, 30));
    const all = await allOffsets(log);
    expect(all.filter((o) => o >= 17)).toEqual([...Array(16).keys()].map((i) => 17 + i));
    await log.close();
  });

  it('an in-order consume after a rewrite answers from the rewritten segment', async () => {
    const env = freshEnv();
    const engine = await LogEngine.open(env, 'log', resolveOptions({ createDirs: true, rollover: 10_000 }));
    const log = new LogFacade(engine, engine.options, 'log', undefined, env);
    await log.publish(gen(40, 0));
    const raw = async (from: number, max: number) =>
      decodeRecords((await engine.consume(from, max)).records).map((m) => m.offset);
    expect(await raw(0, 10)).toEqual([...Array(10).keys()]);
    expect(await raw(10, 10)).toEqual([...Array(10).keys()].map((i) => 10 + i)); // in order
    await new Promise((r) => setTimeout(r, 5));
    await log.delete([20, 25]); // rewrites the segment
    expect(await raw(20, 10)).toEqual([21, 22, 23, 24, 26, 27, 28, 29, 30, 31]);
    await log.close();
  });
});
