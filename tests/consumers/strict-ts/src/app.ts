// A strict TypeScript consumer of opfs-log's public types. It is only
// type-checked (`npm run check`: tsc --noEmit under tsconfig.bundler.json and
// tsconfig.node16.json, both `strict`, `skipLibCheck: false`,
// `exactOptionalPropertyTypes`, `noUncheckedIndexedAccess`), so every .d.ts of
// the package is checked under the consumer's flags too.
import {
  type bytes,
  compact,
  exportArchive,
  importArchive,
  json,
  keepEmpty,
  LogError,
  OffsetNewest,
  OffsetOldest,
  open,
  setWorkerSource,
  string,
  trimByCount,
  typed,
  type utf8,
} from 'opfs-log';
import type {
  ArchiveInfo,
  Batch,
  Codec,
  CodecType,
  ErrorCode,
  Log,
  Message,
  NewMessage,
  Options,
  TypedLog,
  TypedMessage,
  WorkerSource,
} from 'opfs-log';

/** Compile-time equality of two types: `Expect<Equal<A, B>>` fails to compile unless A is B. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

interface CartEvent {
  type: 'added' | 'removed';
  sku: string;
  quantity: number;
}

// The codecs give the types.
type _codecTypes = [
  Expect<Equal<CodecType<ReturnType<typeof string>>, string>>,
  Expect<Equal<CodecType<typeof utf8>, string>>,
  Expect<Equal<CodecType<ReturnType<typeof bytes>>, Uint8Array>>,
  Expect<Equal<CodecType<Codec<CartEvent>>, CartEvent>>,
];

// Options: every field optional; under exactOptionalPropertyTypes an explicit
// `undefined` is not a boolean.
export const options: Options = { createDirs: true, keyIndex: true, timeIndex: true, retention: { maxCount: 1000 } };
// @ts-expect-error: exactOptionalPropertyTypes: createDirs is `boolean`, absent, never `undefined`
export const badOptions: Options = { createDirs: undefined };

/** A codec of our own, checked against the public `Codec` interface. */
const quantity: Codec<number> = {
  encode: (n) => new Uint8Array([n & 0xff]),
  decode: (b) => b[0] ?? 0, // noUncheckedIndexedAccess: b[0] is number | undefined
};

function describe(message: Message): string {
  const key: Uint8Array | null = message.key;
  return `${message.offset}@${message.time}: ${key === null ? '(no key)' : new TextDecoder().decode(key)}`;
}

/** What a caller does with a rejection: narrow to LogError, switch on the code. */
export function explain(err: unknown): string {
  if (!(err instanceof LogError)) throw err;
  const code: ErrorCode = err.code;
  switch (code) {
    case 'InvalidOffset':
    case 'NotFound':
    case 'NoIndex':
    case 'Readonly':
    case 'InvalidArgument':
    case 'Corrupted':
    case 'Locked':
    case 'Closed':
    case 'QuotaExceeded':
    case 'Unsupported':
    case 'StorageRemoved':
    case 'Internal':
      return `${code}: ${err.message}`;
    default: {
      const never: never = code; // every ErrorCode is handled above
      return never;
    }
  }
}
// @ts-expect-error: not an ErrorCode
export const badCode: ErrorCode = 'Timeout';
export const isCode: boolean = LogError.isCode('Locked');

export async function main(): Promise<void> {
  setWorkerSource('/static/opfs-log-worker.js');
  const source: WorkerSource = (workerOptions) =>
    new Worker(new URL('./opfs-log-worker.js', import.meta.url), workerOptions);
  setWorkerSource(source);

  const log: Log = await open('carts/events', options);
  const raw: NewMessage[] = [{ key: new TextEncoder().encode('cart-1'), value: null }];
  await log.publish(raw);
  const batch: Batch = await log.consume(OffsetOldest, 10);
  const first = batch.messages[0]; // Message | undefined
  if (first !== undefined) console.log(describe(first));

  const events: TypedLog<string, CartEvent> = typed(log, { key: string(), value: json<CartEvent>() });
  const next: number = await events.publish([
    { key: 'cart-1', value: { type: 'added', sku: 'hat', quantity: 1 } },
    { key: 'cart-1' }, // no value: a tombstone
  ]);
  // @ts-expect-error: the value codec is json<CartEvent>(), not a string
  await events.publish([{ key: 'cart-1', value: 'added a hat' }]);
  // @ts-expect-error: the key codec is string(); bytes go to the raw log
  await events.getByKey(new Uint8Array([1]));

  const latest: TypedMessage<string, CartEvent> = await events.getByKey('cart-1');
  const sku: string | undefined = latest.value?.sku;
  const page = await events.consume(OffsetOldest, 100);
  const quantities = page.messages.map((m) => m.value?.quantity ?? 0);
  type _inferred = [
    Expect<Equal<typeof latest.key, string | null>>,
    Expect<Equal<(typeof page.messages)[number], TypedMessage<string, CartEvent>>>,
    Expect<Equal<typeof quantities, number[]>>,
  ];

  const counts = typed(log, { key: keepEmpty(string()), value: quantity });
  const count: number | null = (await counts.get(OffsetNewest)).value;
  // Codecs left out are bytes().
  const bytesLog = typed(log);
  type _defaults = Expect<Equal<typeof bytesLog, TypedLog<Uint8Array, Uint8Array>>>;

  try {
    await events.get(next);
  } catch (err) {
    console.log(explain(err));
  }

  await trimByCount(events.raw, 100);
  await compact(events.raw, 24 * 60 * 60 * 1000);
  const archive: File = await exportArchive(log);
  const info: ArchiveInfo = await importArchive('carts/copy', archive, { overwrite: true });
  const copy = await open('carts/copy', info.options);
  await copy.close();
  await log.close();
  console.log(sku, count, info.nextOffset);
}
