/** Types of browsers.mjs, for playwright.config.ts, the test fixtures and the benchmark. */
import type { BrowserContext } from '@playwright/test';

export type BrowserName = 'chromium' | 'firefox';
export const BROWSERS: Record<
  BrowserName,
  { title: string; env: string; candidates: readonly string[]; aptPackage: string }
>;
export const BROWSER_NAMES: readonly BrowserName[];
export const CHROMIUM_ARGS: readonly string[];
export const FIREFOX_PREFS: Readonly<Record<string, string | number | boolean>>;
export function findBrowser(name: BrowserName, env?: NodeJS.ProcessEnv): string | null;
export function browserPath(name: BrowserName, env?: NodeJS.ProcessEnv): string;
export function howToGetBrowser(name: BrowserName, env?: NodeJS.ProcessEnv): string;
export function launchBrowser(
  name: BrowserName,
  profileDir: string,
  options?: {
    baseURL?: string;
    firefoxUserPrefs?: Record<string, string | number | boolean>;
    [option: string]: unknown;
  },
): Promise<BrowserContext>;
