/** Types of nats-server.mjs, for the test launcher (tests/nats/server.ts). */
export function findNatsServer(env?: NodeJS.ProcessEnv): string | null;
export function howToGetNatsServer(): string;
