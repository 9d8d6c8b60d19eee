// The runner copies the shared self-test here as ./self-test.ts and waits for window.selfTest.
// This consumer also renders a React component on opfs-log/react: the entry resolves and builds.
import { createElement } from 'react';
import { flushSync } from 'react-dom';
import { createRoot } from 'react-dom/client';
import { open, projection, type Projection } from 'opfs-log';
import { useProjection } from 'opfs-log/react';
import { selfTest } from './self-test';

function Count({ count }: { count: Projection<number> }) {
  return createElement('span', null, `count ${useProjection(count)}`);
}

async function reactBinding(): Promise<void> {
  const log = await open(`consumer-react/${Date.now().toString(36)}`, { createDirs: true });
  const count = projection(log, {
    name: 'count',
    version: 1,
    initial: 0,
    apply: (n: number) => n + 1,
    snapshots: false,
  });
  await log.publish([{ value: new TextEncoder().encode('one') }]);
  await count.ready;
  const element = document.createElement('p');
  document.body.append(element);
  const root = createRoot(element);
  flushSync(() => root.render(createElement(Count, { count })));
  if (element.textContent !== 'count 1') throw new Error(`opfs-log/react rendered "${element.textContent}"`);
  root.unmount();
  await count.close();
  await log.close();
}

void selfTest()
  .then(async (result) => {
    if (!result.ok) return result;
    try {
      await reactBinding();
      return { ...result, steps: [...result.steps, 'opfs-log/react'] };
    } catch (err) {
      return { ...result, ok: false, error: String(err) };
    }
  })
  .then((result) => {
    (window as unknown as { selfTest: unknown }).selfTest = result;
  });
