/**
 * The checks `push` and `pull` make before anything runs: every bad option
 * throws `ReplicationError` `InvalidArgument` at once, with a message that
 * names the option, so a misconfiguration never shows up later as a retry loop.
 */
import type { Log, OffsetNewest as CoreNewest, OffsetOldest as CoreOldest } from '../types.ts';
import { invalid } from './errors.ts';
import type { PullOptions, PushOptions, ReplicationOptions } from './types.ts';

/**
 * The core's two sentinels, restated rather than imported: an imported value
 * would put the core's constants in a chunk shared by both entries, which
 * makes the main bundle larger. Typed as the core's own literals, so the
 * compiler says if they ever differ.
 */
export const OffsetOldest: typeof CoreOldest = -2;
export const OffsetNewest: typeof CoreNewest = -1;

/** What the replicators call on a log; a typed log (its messages are not bytes) is refused. */
const LOG_METHODS = ['publish', 'nextOffset', 'consume', 'consumeBlocking', 'get', 'snapshot'] as const;
/** The core marks a TypedLog with this global symbol (see the core's namespace). */
const TYPED_LOG = Symbol.for('opfs-log.TypedLog');

export function checkLog(log: unknown, what: string): Log {
  if (typeof log !== 'object' || log === null)
    throw invalid(`${what} takes a Log, got ${log === null ? 'null' : typeof log}`);
  if ((log as { [TYPED_LOG]?: unknown })[TYPED_LOG] === true)
    throw invalid(`${what} takes the byte Log: pass the typed log's raw`);
  const missing = LOG_METHODS.filter((m) => typeof (log as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) throw invalid(`${what} takes a Log; this has no ${missing.join(', ')}`);
  return log as Log;
}

/** A subject's tokens: non-empty, no whitespace; wildcards only where allowed and as whole tokens. */
export function checkSubject(subject: unknown, what: string, wildcards: boolean): string {
  if (typeof subject !== 'string' || subject === '') throw invalid(`${what} must be a non-empty subject string`);
  const tokens = subject.split('.');
  tokens.forEach((t, i) => {
    if (t === '' || /\s/.test(t)) throw invalid(`${what} "${subject}" has an empty token or whitespace`);
    const wild = t === '*' || (t === '>' && i === tokens.length - 1);
    if (/[*>]/.test(t) && !(wildcards && wild)) {
      throw invalid(
        `${what} "${subject}": ${wildcards ? '`*` and `>` must be whole tokens, `>` the last' : 'must be one concrete subject, without `*` or `>`'}`,
      );
    }
  });
  return subject;
}

function checkStream(stream: unknown): string {
  if (typeof stream !== 'string' || stream === '' || /[\s.*>/\\]/.test(stream)) {
    throw invalid(
      `stream must be a stream name (no spaces, '.', '*', '>', '/' or '\\'), got ${JSON.stringify(stream)}`,
    );
  }
  return stream;
}

function checkServers(servers: unknown): string[] {
  const list = typeof servers === 'string' ? [servers] : servers;
  if (!Array.isArray(list) || list.length === 0)
    throw invalid('servers must be a ws:// or wss:// URL or a non-empty array of them');
  const secure = typeof location !== 'undefined' && location.protocol === 'https:';
  for (const url of list) {
    if (typeof url !== 'string' || !/^wss?:\/\/[^/\s]+/.test(url)) {
      throw invalid(`servers: ${JSON.stringify(url)} is not a ws:// or wss:// URL (the server's websocket listener)`);
    }
    if (secure && url.startsWith('ws://')) {
      throw invalid(
        `servers: an https page cannot open ${url} (the browser blocks ws:// there): serve the websocket listener with TLS and use wss://`,
      );
    }
  }
  return list as string[];
}

function checkCommon(options: ReplicationOptions): void {
  checkStream(options.stream);
  const { servers, connection, auth, createStream, name, timeout } = options;
  if ((servers === undefined) === (connection === undefined))
    throw invalid('give exactly one of servers and connection');
  if (servers !== undefined) checkServers(servers);
  if (
    connection !== undefined &&
    (typeof connection !== 'object' || connection === null || typeof connection.status !== 'function')
  ) {
    throw invalid('connection must be a NatsConnection');
  }
  if (auth !== undefined) {
    if (connection !== undefined)
      throw invalid('auth goes with servers; a connection you opened carries its own credentials');
    if (typeof auth !== 'object' || auth === null) throw invalid('auth must be { user, pass } or { token }');
    for (const k of ['user', 'pass', 'token'] as const) {
      if (auth[k] !== undefined && typeof auth[k] !== 'string') throw invalid(`auth.${k} must be a string`);
    }
  }
  if (createStream !== undefined && typeof createStream !== 'boolean') {
    if (typeof createStream !== 'object' || createStream === null)
      throw invalid('createStream must be a boolean or { subjects, replicas }');
    const { subjects, replicas } = createStream;
    if (subjects !== undefined) {
      if (!Array.isArray(subjects) || subjects.length === 0)
        throw invalid('createStream.subjects must be a non-empty array of subjects');
      subjects.forEach((s, i) => {
        checkSubject(s, `createStream.subjects[${i}]`, true);
      });
    }
    if (replicas !== undefined && !(Number.isInteger(replicas) && replicas >= 1 && replicas <= 5)) {
      throw invalid('createStream.replicas must be an integer from 1 to 5');
    }
  }
  if (name !== undefined && typeof name !== 'string') throw invalid('name must be a string');
  if (timeout !== undefined && !(typeof timeout === 'number' && Number.isFinite(timeout) && timeout > 0)) {
    throw invalid('timeout must be a positive number of milliseconds');
  }
}

function checkOptionsObject(options: unknown, what: string): void {
  if (typeof options !== 'object' || options === null) throw invalid(`${what} takes an options object`);
}

export function checkPushOptions(options: unknown): PushOptions {
  checkOptionsObject(options, 'push');
  const o = options as PushOptions;
  checkCommon(o);
  checkSubject(o.subject, 'subject', false);
  const from = o.from;
  if (
    from !== undefined &&
    !(Number.isSafeInteger(from) && (from >= 0 || from === OffsetOldest || from === OffsetNewest))
  ) {
    throw invalid('from must be an offset (an integer >= 0), OffsetOldest or OffsetNewest');
  }
  return o;
}

export function checkPullOptions(options: unknown): PullOptions {
  checkOptionsObject(options, 'pull');
  const o = options as PullOptions;
  checkCommon(o);
  if (o.subject !== undefined) checkSubject(o.subject, 'subject', true);
  const create = o.createStream;
  if (o.subject === undefined && (create === true || (typeof create === 'object' && create?.subjects === undefined))) {
    throw invalid('createStream needs subjects when pull has no subject filter');
  }
  return o;
}
