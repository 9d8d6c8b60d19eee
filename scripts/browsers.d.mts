/** Types of chromium-path.mjs, for playwright.config.ts and the test fixtures. */
export const CHROMIUM_CANDIDATES: readonly string[];
export function findChromium(env?: NodeJS.ProcessEnv): string | null;
export function chromiumPath(env?: NodeJS.ProcessEnv): string;
export function howToGetChromium(env?: NodeJS.ProcessEnv): string;
