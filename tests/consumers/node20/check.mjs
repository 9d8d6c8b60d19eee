// Importing opfs-log in Node (a test runner, server-side rendering) must not
// throw; using it there must say `Unsupported` with a LogError, not crash.
import assert from 'node:assert/strict';

console.log(`node ${process.version}`);
const opfsLog = await import('opfs-log');
assert.equal(typeof opfsLog.open, 'function', 'open is exported');

async function rejectsUnsupported(what, promise) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof opfsLog.LogError, `${what}: want a LogError, got ${err?.stack ?? err}`);
    assert.equal(err.code, 'Unsupported', `${what}: code ${err.code}: ${err.message}`);
    return true;
  });
  console.log(`${what} rejects Unsupported`);
}

await rejectsUnsupported("open('x')", opfsLog.open('x'));
await rejectsUnsupported("importArchive('x', blob)", opfsLog.importArchive('x', new Blob([new Uint8Array(22)])));
