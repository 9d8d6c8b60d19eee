// The `opfs-log/jetstream` entry: replication of a log to and from NATS JetStream. Re-exports only.
// Its peers @nats-io/nats-core and @nats-io/jetstream (optional peer dependencies) are imported from here only.
export { push } from './jetstream/push.ts';
export { pull } from './jetstream/pull.ts';
export { ReplicationError } from './jetstream/errors.ts';
export type { ReplicationErrorCode } from './jetstream/errors.ts';
export type {
  NatsConnection,
  PullOptions,
  PushOptions,
  Replication,
  ReplicationOptions,
  ReplicationState,
  ReplicationStatus,
} from './jetstream/types.ts';
export { HEADER_KEY, HEADER_OFFSET, HEADER_SOURCE, HEADER_TIME } from './jetstream/headers.ts';
