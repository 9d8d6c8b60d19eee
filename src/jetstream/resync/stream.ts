/**
 * What both directions read from the server when a session starts: the
 * stream (created when asked), whether it captures the subject, and the
 * last message on a subject.
 */
import type { JetStreamManager, StoredMsg, StreamInfo } from '@nats-io/jetstream';
import { isStreamNotFound, ReplicationError, toReplicationError } from '../errors.ts';
import type { ReplicationOptions } from '../types.ts';

/**
 * The stream's info; a missing stream is created when `createStream` says
 * so (with `subjects` unless it names its own), else `StreamMissing`.
 * Another tab creating it at the same moment is fine: "already in use" reads it.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  options: ReplicationOptions,
  subjects: string[],
): Promise<StreamInfo> {
  try {
    return await jsm.streams.info(options.stream);
  } catch (err) {
    if (!isStreamNotFound(err)) throw toReplicationError(err, `reading stream ${options.stream}`);
  }
  const create = options.createStream;
  if (!create) {
    throw new ReplicationError(
      'StreamMissing',
      `stream ${options.stream} does not exist (create it, or pass createStream: true)`,
    );
  }
  const chosen = typeof create === 'object' ? create : {};
  try {
    return await jsm.streams.add({
      name: options.stream,
      subjects: chosen.subjects ?? subjects,
      num_replicas: chosen.replicas ?? 1,
    });
  } catch (err) {
    if (/already in use|already exists/i.test(String((err as Error)?.message))) return jsm.streams.info(options.stream);
    throw toReplicationError(err, `creating stream ${options.stream}`);
  }
}

/** Whether a subject filter (with `*` and `>`) matches `subject`, or overlaps it when both have wildcards. */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>' || s[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (f[i] !== '*' && s[i] !== '*' && f[i] !== s[i]) return false;
  }
  return f.length === s.length;
}

/**
 * Throws `InvalidArgument` when the stream cannot hold `subject`: publishes
 * there would find no stream ("no responders") and be retried for ever.
 * A stream without subjects of its own (a mirror, or one fed by sources) is
 * not checked.
 */
export function checkCaptures(info: StreamInfo, subject: string): void {
  const subjects = info.config.subjects ?? [];
  if (subjects.length === 0 || subjects.some((f) => subjectMatches(f, subject))) return;
  throw new ReplicationError(
    'InvalidArgument',
    `stream ${info.config.name} captures ${subjects.join(', ')}, not ${subject}`,
  );
}

/** The last message on `subject`, or null when the stream holds none there. */
export async function lastOnSubject(jsm: JetStreamManager, stream: string, subject: string): Promise<StoredMsg | null> {
  try {
    return await jsm.streams.getMessage(stream, { last_by_subj: subject });
  } catch (err) {
    if (/no message found|not found/i.test(String((err as Error)?.message)) && !isStreamNotFound(err)) return null;
    throw toReplicationError(err, `reading the last message on ${subject}`);
  }
}
