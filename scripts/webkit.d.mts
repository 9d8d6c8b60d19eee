/** Types of webkit.mjs, for the WebKit tier's runner (tests/webkit/minibrowser.ts). */
export type WebKitTool = 'minibrowser' | 'xvfb-run';
export const WEBKIT_TOOLS: Record<WebKitTool, { title: string; env: string; aptPackage: string }>;
export const MINIBROWSER_FEATURES: readonly string[];
export function findWebKitTool(tool: WebKitTool, env?: NodeJS.ProcessEnv): string | null;
export function howToGetWebKitTool(tool: WebKitTool, env?: NodeJS.ProcessEnv): string;
export function webkitTools(env?: NodeJS.ProcessEnv): { miniBrowser: string; xvfbRun: string };
