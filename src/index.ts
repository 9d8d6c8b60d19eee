export { open } from './open.ts';
export { OffsetOldest, OffsetNewest, OffsetInvalid } from './types.ts';
export type { Options, Message, NewMessage, Batch, Stats, DeleteResult, Log } from './types.ts';
export { LogError } from './errors.ts';
export type { ErrorCode } from './errors.ts';
