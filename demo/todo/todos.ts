// The todo list's events and its state: a projection of the events (see
// `todoList`). Pure: nothing here touches the page, the log or the clock.
import { json, projection, string, typed, type Log, type Projection, type TypedLog } from 'opfs-log';

/** What happened to a todo; the message's key is the todo's id. */
export type TodoEvent =
  | { type: 'added'; title: string }
  | { type: 'completed'; done: boolean }
  | { type: 'renamed'; title: string }
  | { type: 'removed' };

export interface Todo {
  id: string;
  title: string;
  done: boolean;
  /** When it was added (the event's time), in milliseconds since the Unix epoch. */
  added: number;
}

/** The list as it stands: plain objects only, so the default JSON snapshots keep it. */
export interface TodoState {
  todos: Record<string, Todo>;
  /** The ids, oldest first. */
  order: string[];
  /** Events folded, of every kind. */
  events: number;
}

export const EMPTY: TodoState = { todos: {}, order: [], events: 0 };

export type TodoLog = TypedLog<string, TodoEvent>;

/** The todo events of `log`: keys are ids (text), values JSON. */
export function todoEvents(log: Log): TodoLog {
  return typed(log, { key: string(), value: json<TodoEvent>() });
}

/**
 * The state after one event, changed in place: the projection hands `apply`
 * a copy of the state once per batch of events (`cloneTodos`), so a state
 * once shown is never changed. A todo is replaced, never changed, since the
 * copy shares them with the state shown. An event about a todo the list
 * does not have (removed, or from a newer app) changes nothing but the count.
 */
export function applyTodo(
  state: TodoState,
  event: { key: string | null; value: TodoEvent | null; time: number },
): TodoState {
  state.events++;
  const id = event.key;
  const e = event.value;
  if (id === null || e === null) return state;
  const todo = state.todos[id];
  if (e.type === 'added') {
    if (!todo) {
      state.todos[id] = { id, title: e.title, done: false, added: event.time };
      state.order.push(id);
    }
  } else if (!todo) {
    return state;
  } else if (e.type === 'completed') {
    state.todos[id] = { ...todo, done: e.done };
  } else if (e.type === 'renamed') {
    state.todos[id] = { ...todo, title: e.title };
  } else if (e.type === 'removed') {
    delete state.todos[id];
    state.order.splice(state.order.indexOf(id), 1);
  }
  return state;
}

/** A copy `applyTodo` may change: new containers, the same todos. */
export function cloneTodos(state: TodoState): TodoState {
  return { todos: { ...state.todos }, order: state.order.slice(), events: state.events };
}

/**
 * The todo list, folded from `events` and kept current in every tab. A
 * snapshot is saved after 50 events, or a second after the first event
 * since the last one, so that a reload folds at most a few events.
 */
export function todoList(events: TodoLog): Projection<TodoState> {
  return projection(events, {
    name: 'todo-list',
    version: 1,
    initial: EMPTY,
    apply: applyTodo,
    clone: cloneTodos,
    snapshots: { every: 50, interval: 1000 },
  });
}

let made = 0;

/** A new todo id: the time, a count and a random part, so neither this tab nor another makes the same one twice. */
export function newId(): string {
  return `${Date.now().toString(36)}-${(made++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
