// The log explorer (`npm run demo`): lists the logs of this origin, creates,
// opens (readonly or not), imports and exports them, and browses, publishes,
// finds and deletes messages, live. Each concern has its own file; this one
// wires them to the page and holds the log that is open.
import { open, LogError } from '../src/index.ts';
import type { Log } from '../src/index.ts';
import { exportToDownload, wireImport } from './archive.ts';
import { Browser } from './browse.ts';
import { byId, el, field, onSubmit } from './dom.ts';
import { formatBytes } from './format.ts';
import { LiveFeed } from './live.ts';
import { listLogs, recallOptions, rememberOptions, type LogOptions } from './logs.ts';
import { act, catchStrays, guard, showError, showNotice } from './notices.ts';
import { Publisher } from './publish.ts';
import { StoragePanel } from './storage.ts';
import { SyncPanel } from './sync.ts';

interface OpenLog {
  log: Log;
  dir: string;
  readonly: boolean;
  options: LogOptions;
}

/** Which log this tab had open, so that a reload opens it again. */
const LAST_OPEN_KEY = 'opfs-log-explorer:open';

catchStrays();
const storage = new StoragePanel();
const browser = new Browser();
const publisher = new Publisher();
const live = new LiveFeed();
const sync = new SyncPanel();
let current: OpenLog | null = null;
/** The last close, settled or not: an open or import waits for it, or the writer lock may still be held. */
let closing: Promise<unknown> = Promise.resolve();

/** Lists the logs again, at most one listing at a time; calls meanwhile ask for one more afterwards. */
let listing: Promise<void> | null = null;
let listAgain = false;
function refreshLogs(): Promise<void> {
  if (listing) {
    listAgain = true;
    return listing;
  }
  listing = (async () => {
    do {
      listAgain = false;
      await listLogsNow();
    } while (listAgain);
    listing = null;
  })();
  return listing;
}

async function listLogsNow(): Promise<void> {
  await guard('Could not list the logs', async () => {
    const logs = await listLogs();
    byId('log-list').replaceChildren(
      ...logs.map((entry) =>
        el(
          'li',
          { className: entry.dir === current?.dir ? 'current' : false, 'data-dir': entry.dir },
          el('span', { className: 'dir' }, entry.dir),
          el(
            'span',
            { className: 'size' },
            `${entry.segments} segment${entry.segments === 1 ? '' : 's'}, ${formatBytes(entry.bytes)}`,
          ),
          el('span', { className: 'buttons' }, openButton(entry.dir, false), openButton(entry.dir, true)),
        ),
      ),
    );
    byId('log-list-empty').hidden = logs.length > 0;
  });
}

function openButton(dir: string, readonly: boolean): HTMLButtonElement {
  const button = el(
    'button',
    { type: 'button', 'aria-label': `${readonly ? 'Open readonly' : 'Open'} ${dir}` },
    readonly ? 'Open readonly' : 'Open',
  );
  button.addEventListener('click', () => void openLog(dir, readonly));
  return button;
}

function describeOptions(o: LogOptions): string {
  const parts = [o.keyIndex ? 'key index' : 'no key index', o.timeIndex ? 'time index' : 'no time index'];
  if (o.rollover) parts.push(`rollover ${formatBytes(o.rollover)}`);
  return parts.join(' · ');
}

async function openLog(dir: string, readonly: boolean, create = false): Promise<void> {
  await closeLog();
  await closing;
  const options = recallOptions(dir);
  let log: Log;
  try {
    log = await open(dir, { ...options, readonly, createDirs: create });
  } catch (err) {
    if (err instanceof LogError && err.code === 'Locked') {
      showError(
        `${dir} is held by an exclusive writer in another tab. You can open it readonly and read along`,
        undefined,
        {
          label: 'Open readonly',
          run: () => void openLog(dir, true),
        },
      );
    } else {
      showError(`Could not open ${dir}`, err);
    }
    return;
  }
  current = { log, dir, readonly, options };
  // Before the page offers Publish: started later, the feed would miss a message sent at once.
  void live.start(log);
  sessionStorage.setItem(LAST_OPEN_KEY, JSON.stringify({ dir, readonly }));
  byId('log-title').textContent = dir;
  showMode();
  byId('log-options').textContent = describeOptions(options);
  byId('welcome').hidden = true;
  byId('log-view').hidden = false;
  publisher.attach(log, readonly);
  sync.attach(log, readonly);
  await Promise.all([browser.attach(log, readonly), refreshStat(), refreshLogs()]);
}

/** Closes the open log; true if it closed cleanly (else the error is shown). */
async function closeLog(): Promise<boolean> {
  const leaving = current;
  if (!leaving) return false;
  current = null;
  sessionStorage.removeItem(LAST_OPEN_KEY);
  live.stop();
  browser.detach();
  publisher.detach();
  byId('log-view').hidden = true;
  byId('welcome').hidden = false;
  // A sync reads and writes the log: it stops first, and an open or import waits for both.
  const closed = guard(`Could not close ${leaving.dir}`, () =>
    sync
      .detach()
      .then(() => leaving.log.close())
      .then(() => true),
  );
  closing = closed;
  const ok = (await closed) === true;
  await refreshLogs();
  return ok;
}

/**
 * readonly; or writer, and whether this tab owns the log (its worker writes the files) or forwards
 * to the tab that does. Ownership moves when the owning tab goes, so every refresh says it again.
 */
function showMode(): void {
  if (!current) return;
  const mode = byId('log-mode');
  const owner = current.log.isOwner();
  mode.textContent = current.readonly ? 'readonly' : 'writer';
  mode.className = `badge ${current.readonly ? 'readonly' : 'writer'}`;
  const owning = byId('log-owner');
  owning.hidden = current.readonly;
  owning.textContent = owner ? 'this tab owns the files' : 'another tab owns the files';
}

async function refreshStat(): Promise<void> {
  const opened = current;
  if (!opened) return;
  showMode();
  await guard('Could not read the stat', async () => {
    const [stat, next] = await Promise.all([opened.log.stat(), opened.log.nextOffset()]);
    if (current !== opened) return;
    byId('stat').textContent =
      `${stat.segments} segment${stat.segments === 1 ? '' : 's'} · ${stat.messages} message${stat.messages === 1 ? '' : 's'} · ` +
      `${formatBytes(stat.size)} · next offset ${next}`;
  });
  await Promise.all([storage.refresh(), refreshLogs()]);
}

function wireCreate(): void {
  const form = byId<HTMLFormElement>('create-form');
  onSubmit(form, async () => {
    const dir = field(form, 'dir')
      .value.trim()
      .replace(/^\/+|\/+$/g, '');
    const rollover = Number(field(form, 'rollover').value);
    const options: LogOptions = {
      keyIndex: field(form, 'keyIndex').checked,
      timeIndex: field(form, 'timeIndex').checked,
      rollover: Number.isInteger(rollover) && rollover > 0 ? rollover : undefined,
    };
    const existed = (await listLogs().catch(() => [])).some((l) => l.dir === dir);
    rememberOptions(dir, options);
    await act(`Could not create ${dir}`, async () => {
      await openLog(dir, false, true);
      if (current?.dir === dir) showNotice(existed ? `${dir} already held a log: opened it.` : `Created ${dir}.`);
    });
  });
}

function wireLogView(): void {
  byId('close-log').addEventListener('click', async () => {
    const dir = current?.dir;
    if (await closeLog()) showNotice(`Closed ${dir}: another tab may open it for writing now.`);
  });
  byId('export').addEventListener('click', () => {
    if (current) void exportToDownload(current.log);
  });
  byId('refresh-logs').addEventListener('click', () => void refreshLogs());
  publisher.onPublished = () => {
    void refreshStat();
    void browser.refreshIfLive();
  };
  live.onMessages = () => {
    void refreshStat();
    void browser.refreshIfLive();
  };
  browser.onChange = () => void refreshStat();
  wireImport(
    () => closing,
    async (dir, info) => {
      rememberOptions(dir, info.options);
      await refreshLogs();
      await storage.refresh();
    },
  );
  // Release the writer lock at once when the tab goes, for the next tab.
  addEventListener('pagehide', () => void current?.log.close());
}

async function start(): Promise<void> {
  wireCreate();
  wireLogView();
  await Promise.all([storage.refresh(), refreshLogs()]);
  const last = JSON.parse(sessionStorage.getItem(LAST_OPEN_KEY) ?? 'null') as { dir: string; readonly: boolean } | null;
  if (last) await openLog(last.dir, last.readonly);
  document.body.dataset.ready = 'true';
}

void start();
