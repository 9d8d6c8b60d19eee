/** Types of classic-script.mjs, for vite.config.ts's plugins and the bench. */
import type { Plugin as EsbuildPlugin } from 'esbuild';
import type { Plugin } from 'vite';
export function classicScript(options: {
  name: string;
  entry: string;
  path: string;
  plugins?: EsbuildPlugin[];
}): Plugin;
