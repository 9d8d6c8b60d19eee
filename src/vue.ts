// The `opfs-log/vue` entry: composables over a projection and over the newest messages of a log.
// Vue is an optional peer dependency, imported from here only; the core is reached through the
// public entry, as an app reaches it.
import { getCurrentScope, onScopeDispose, type ShallowRef, shallowReadonly, shallowRef } from 'vue';
import { latestMessages } from './index.ts';
import type { Log, Message, Projection, TypedLog, TypedMessage } from './index.ts';

/** Unsubscribes when the calling component (or effect scope) goes; outside one, never. */
function whenScopeEnds(stop: () => void): void {
  if (getCurrentScope()) onScopeDispose(stop);
}

/**
 * The state of `projection` as a readonly shallow ref, updated when the state
 * changes (in this tab or because another tab published): `.value` is the
 * projection's own state object, the same one until it changes (not made
 * deeply reactive). Call it in `setup` (or an effect scope): it unsubscribes
 * when the component unmounts (the scope is disposed). Called outside any
 * scope, it stays subscribed until the projection is closed.
 */
export function useProjection<S>(projection: Projection<S>): Readonly<ShallowRef<S>> {
  const state = shallowRef(projection.getState());
  whenScopeEnds(projection.subscribe((next) => (state.value = next)));
  return shallowReadonly(state);
}

/**
 * The newest `count` messages of `log`, oldest first, as a readonly shallow
 * ref kept current (see `latestMessages`; `count` from 1 to 100,000, else it
 * throws `InvalidArgument`). Call it in `setup` (or an effect scope): its
 * store is closed when the component unmounts, and nothing reads the log
 * after that. Called outside any scope, it follows the log for as long as
 * the page lives.
 */
export function useLatestMessages(log: Log, count: number): Readonly<ShallowRef<readonly Message[]>>;
export function useLatestMessages<K, V>(
  log: TypedLog<K, V>,
  count: number,
): Readonly<ShallowRef<readonly TypedMessage<K, V>[]>>;
export function useLatestMessages(
  log: Log | TypedLog<unknown, unknown>,
  count: number,
): Readonly<ShallowRef<readonly unknown[]>> {
  const store = latestMessages(log as Log, count);
  const messages = shallowRef<readonly unknown[]>(store.getState());
  store.subscribe((next) => (messages.value = next));
  whenScopeEnds(() => void store.close());
  return shallowReadonly(messages);
}
