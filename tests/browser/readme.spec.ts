// The README's examples (every block marked to run as a test) are run as
// written, each import of 'opfs-log' pointed at the page's copy of
// /src/index.ts, so the README stays true. A failing `console.assert` in a
// block fails its test.
import { test, expect } from './fixtures.ts';
import { readFileSync } from 'node:fs';
import ts from 'typescript';

/** Every block of the README marked to run as a test, as page JavaScript, with the heading it is under. */
function readmeExamples(): { heading: string; code: string }[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const blocks = [...readme.matchAll(/<!-- This block runs as a test[^\n]*\n```ts\n([\s\S]*?)\n```/g)];
  if (blocks.length === 0) throw new Error('README.md has no example block marked to run as a test');
  return blocks.map((block) => {
    const heading = [...readme.slice(0, block.index).matchAll(/^## (.*)$/gm)].at(-1)?.[1] ?? 'README';
    // Group 1 takes part in every match.
    const js = ts.transpileModule(block[1]!, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    }).outputText;
    // `import { a, b } from 'opfs-log';` → `const { a, b } = window.harness.lib;`
    return {
      heading,
      code: js.replace(/import\s*(\{[^}]*\})\s*from\s*['"]opfs-log['"];?/g, 'const $1 = window.harness.lib;'),
    };
  });
}

for (const { heading, code } of readmeExamples()) {
  test(`the README example under "${heading}" runs`, async ({ page }) => {
    expect(code).toContain('window.harness.lib');
    const result = await page.evaluate(async (body) => {
      const failures: string[] = [];
      const assert = console.assert;
      let asserts = 0;
      console.assert = (condition?: boolean) => {
        asserts++;
        if (!condition) failures.push(`console.assert #${asserts} in the example failed`);
      };
      try {
        const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
          body: string,
        ) => () => Promise<void>;
        await new AsyncFunction(body)();
      } catch (err) {
        failures.push(String(err));
      } finally {
        console.assert = assert;
      }
      return failures;
    }, code);
    expect(result).toEqual([]);
  });
}
