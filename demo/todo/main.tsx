// The todo list (todo.html, served by `npm run demo` beside the log
// explorer): an event-sourced app. What the user does is published as
// events to a log; what the page shows is a projection of them (todos.ts),
// read with the React binding, saved as a snapshot now and then, so that a
// reload folds only the events after it. Any number of tabs show the same
// list, live.
import { StrictMode, useEffect, useRef, useState, type FormEvent } from 'react';
import { createRoot } from 'react-dom/client';
import { open, type Projection } from 'opfs-log';
import { useLatestMessages, useProjection, useProjectionStatus } from 'opfs-log/react';
import { EMPTY, newId, todoEvents, todoList, type TodoEvent, type TodoLog, type TodoState } from './todos.ts';

const DIR = 'demo/todos';

interface Opened {
  log: TodoLog;
  list: Projection<TodoState>;
  /** Milliseconds since the page began loading: when `open` was called, and when it resolved. */
  openAt: number;
  openedAt: number;
}

// Begun as the module runs, before React's first render: the log opens and the list loads meanwhile.
const opening: Promise<Opened> = (async () => {
  const openAt = performance.now();
  const log = todoEvents(await open(DIR, { createDirs: true }));
  return { log, list: todoList(log), openAt, openedAt: performance.now() };
})();
opening.catch(() => undefined); // shown by the app

/** How the list loaded: when the page first showed it caught up, and from where. */
interface Loaded {
  /** Milliseconds from the page's start (navigation) to the list shown, caught up. */
  shownAt: number;
  offset: number;
  /** The snapshot it started from; null: folded every event. */
  snapshotOffset: number | null;
}

function App() {
  const [opened, setOpened] = useState<Opened | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    opening.then(setOpened, (err: unknown) => setError(String((err as Error)?.message ?? err)));
  }, []);
  const state = useProjection(opened?.list, EMPTY);
  const info = useProjectionStatus(opened?.list);
  const events = useLatestMessages(opened?.log, 12);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  // Runs after the render that first shows the list caught up: that render is on the screen next.
  useEffect(() => {
    if (loaded || info.status !== 'live') return;
    setLoaded({ shownAt: performance.now(), offset: info.offset, snapshotOffset: info.snapshot?.offset ?? null });
  }, [info, loaded]);
  const failure = error ?? (info.error ? info.error.message : null);

  const publish = (messages: { key: string; value: TodoEvent }[]) => {
    opened?.log.publish(messages).catch((err: unknown) => setError(String((err as Error)?.message ?? err)));
  };

  return (
    <>
      <header className="top">
        <h1>
          opfs-log <span>todo list, event-sourced</span>
        </h1>
        <a href="/">The log explorer</a>
      </header>
      {failure && (
        <div className="banner error" role="alert">
          {failure}
        </div>
      )}
      <div className="todo-layout">
        <main>
          <AddTodo onAdd={(title) => publish([{ key: newId(), value: { type: 'added', title } }])} />
          <TodoItems state={state} publish={publish} />
          <p className="hint" id="todo-count">
            {state.order.length} todos, {state.order.filter((id) => state.todos[id]?.done).length} done, from{' '}
            {state.events.toLocaleString('en')} events
          </p>
          <div className="todo-actions">
            <button type="button" onClick={() => publish(sampleTodos(1000))} disabled={!opened}>
              Add 1,000 sample todos
            </button>
            <button
              type="button"
              disabled={!opened}
              onClick={() =>
                publish(
                  state.order
                    .filter((id) => state.todos[id]?.done)
                    .map((id) => ({ key: id, value: { type: 'removed' } as const })),
                )
              }
            >
              Remove the done ones
            </button>
          </div>
        </main>
        <aside>
          <ProjectionPanel opened={opened} loaded={loaded} info={info} />
          <section aria-labelledby="events-title">
            <h2 id="events-title">Newest events (live)</h2>
            <ol className="todo-events" id="events">
              {[...events].reverse().map((m) => (
                <li key={m.offset} data-offset={m.offset}>
                  <code>#{m.offset}</code> <strong>{m.value?.type ?? 'no value'}</strong>{' '}
                  {m.value?.type === 'added' || m.value?.type === 'renamed' ? `“${m.value.title}”` : ''}
                  {m.value?.type === 'completed' ? (m.value.done ? 'done' : 'not done') : ''}{' '}
                  <span className="hint">
                    {m.key} · {new Date(m.time).toLocaleTimeString()}
                  </span>
                </li>
              ))}
            </ol>
            {events.length === 0 && <p className="hint">No events yet: add a todo.</p>}
          </section>
        </aside>
      </div>
    </>
  );
}

function AddTodo({ onAdd }: { onAdd: (title: string) => void }) {
  const input = useRef<HTMLInputElement>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const title = input.current?.value.trim();
    if (!title || !input.current) return;
    onAdd(title);
    input.current.value = '';
  };
  return (
    <form className="inline" onSubmit={submit}>
      <label>
        New todo <input ref={input} name="title" autoComplete="off" placeholder="Buy milk" required />
      </label>
      <button type="submit">Add</button>
    </form>
  );
}

function TodoItems({
  state,
  publish,
}: {
  state: TodoState;
  publish: (messages: { key: string; value: TodoEvent }[]) => void;
}) {
  // The newest first, and not more than a page can show at once.
  const shown = state.order.slice(-200).reverse();
  return (
    <ul className="todo-list" aria-label="Todos">
      {shown.map((id) => {
        const todo = state.todos[id];
        if (!todo) return null;
        return (
          <li key={id} className={todo.done ? 'done' : ''}>
            <label className="check">
              <input
                type="checkbox"
                checked={todo.done}
                onChange={(e) => publish([{ key: id, value: { type: 'completed', done: e.target.checked } }])}
              />{' '}
              {todo.title}
            </label>
            <button
              type="button"
              className="danger"
              aria-label={`Remove ${todo.title}`}
              onClick={() => publish([{ key: id, value: { type: 'removed' } }])}
            >
              ×
            </button>
          </li>
        );
      })}
      {state.order.length > shown.length && (
        <li className="hint">and {(state.order.length - shown.length).toLocaleString('en')} older ones</li>
      )}
    </ul>
  );
}

function ProjectionPanel({
  opened,
  loaded,
  info,
}: {
  opened: Opened | null;
  loaded: Loaded | null;
  info: ReturnType<typeof useProjectionStatus>;
}) {
  const now = useNow(1000);
  const snapshot = info.snapshot;
  return (
    <section aria-labelledby="projection-title" className="todo-projection">
      <h2 id="projection-title">The projection</h2>
      <dl>
        <dt>Status</dt>
        <dd id="status">{info.status}</dd>
        <dt>Folded to offset</dt>
        <dd id="offset">{info.offset}</dd>
        <dt>Snapshot</dt>
        <dd id="snapshot">
          {snapshot ? (
            <>
              at offset <span id="snapshot-offset">{snapshot.offset}</span>, saved{' '}
              {age(Math.max(0, now - snapshot.savedAt))} ago
            </>
          ) : (
            'none yet'
          )}
        </dd>
        <dt>This page</dt>
        <dd id="loaded" data-ms={loaded ? Math.round(loaded.shownAt) : undefined}>
          {loaded && opened ? (
            <>
              showed the list <strong>{Math.round(loaded.shownAt)} ms</strong> after it began loading (the log opened in{' '}
              {Math.round(opened.openedAt - opened.openAt)} ms);{' '}
              {loaded.snapshotOffset === null
                ? `folded all ${loaded.offset} events (no snapshot yet)`
                : `from the snapshot at offset ${loaded.snapshotOffset}, folding ${loaded.offset - loaded.snapshotOffset} events after it`}
              . Reload to see it again.
            </>
          ) : (
            'loading…'
          )}
        </dd>
      </dl>
      <button type="button" disabled={!opened} onClick={() => void opened?.list.saveSnapshot()}>
        Save a snapshot now
      </button>
    </section>
  );
}

/** The time now, renewed every `ms`. */
function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

function age(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

const WORDS = ['Buy', 'Call', 'Fix', 'Read', 'Write', 'Plan', 'Clean', 'Book'];
const THINGS = ['milk', 'the plumber', 'the bike', 'a book', 'a letter', 'the trip', 'the kitchen', 'tickets'];

/** `n` todos added, every third of them done: two events for those. */
function sampleTodos(n: number): { key: string; value: TodoEvent }[] {
  const out: { key: string; value: TodoEvent }[] = [];
  for (let i = 0; i < n; i++) {
    const key = newId();
    out.push({ key, value: { type: 'added', title: `${WORDS[i % 8]} ${THINGS[(i * 3) % 8]} (${i + 1})` } });
    if (i % 3 === 0) out.push({ key, value: { type: 'completed', done: true } });
  }
  return out;
}

const root = document.getElementById('root');
if (!root) throw new Error('todo.html has no #root');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
