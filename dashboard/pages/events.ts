import type { Event } from '../api.ts';
import { topicMatches } from '../topic-filter.ts';
import { formatTime, frameThrottle, h, replace } from '../dom.ts';
import { reportError, type Page, type PageContext } from '../page.ts';
import { setRouteQuery } from '../route.ts';
import { VirtualTable, type Column } from '../virtual-table.ts';

/** Events the tail keeps; older ones drop off the top (a ring: 1,000 events/s for hours stay bounded). */
const TAIL_CAPACITY = 10_000;
const SEARCH_PAGE = 200;

const COLUMNS: Column<Event>[] = [
  { title: 'Offset', width: '6rem', cell: (e) => String(e.offset) },
  { title: 'Time', width: '13rem', cell: (e) => formatTime(e.createTime) },
  { title: 'Namespace', width: '8rem', cell: (e) => e.namespace },
  { title: 'Key', width: 'minmax(10rem, 1fr)', cell: (e) => e.key },
  { title: 'Value', width: 'minmax(8rem, 1fr)', cell: (e) => e.value },
  { title: 'Sender', width: '12rem', cell: (e) => e.sender ?? '' },
  { title: 'Context', width: 'minmax(6rem, 1fr)', cell: (e) => e.context ?? '' },
];

/**
 * The event log: a live tail of an MQTT topic filter (pausable, bounded, rendered once per frame, caught up from
 * the log after a reconnection) and a search of the stored log by namespace, key, sender, time and offset.
 */
export function eventsPage({ connection, query }: PageContext): Page {
  const message = h('p', { class: 'message error', role: 'alert', hidden: true });
  const tail = new VirtualTable(COLUMNS, { label: 'event tail' });
  let events: Event[] = [];
  let paused = false;
  let unseen = 0;
  let lastOffset = 0;
  let filter = query.get('filter') ?? 'ns/+/#';
  let hideStatus = false;
  /** The ring keeps every event; the filter applies to the view, so unticking shows the status events again. */
  const shown = () => (hideStatus ? events.filter((e) => !e.key.startsWith('$')) : events);
  let unsubscribe: () => void = () => undefined;

  const filterInput = h('input', { value: filter, 'aria-label': 'topic filter', size: 30 });
  const hideInput = h('input', { type: 'checkbox' });
  const pause = h('button', { type: 'button', 'data-action': 'pause' }, 'Pause');
  const counter = h('span', { class: 'counter', 'aria-live': 'off' });
  const showCounter = () => {
    counter.textContent = paused ? `${unseen} new` : `${events.length} events`;
    tail.element.dataset.count = String(events.length);
    tail.element.dataset.lastOffset = String(lastOffset);
  };

  // Arrivals only append; the table, the scroll position and the counter are touched once per frame, so a
  // burst of events costs one layout, not one per event.
  const flush = frameThrottle(() => {
    if (!paused) {
      const following = tail.atEnd();
      tail.setRows(shown(), { now: true });
      if (following) tail.scrollToEnd();
    }
    showCounter();
  });
  const receive = (event: Event) => {
    if (event.offset <= lastOffset) return; // a repeat after catching up from the log
    lastOffset = event.offset;
    events.push(event);
    if (events.length > TAIL_CAPACITY * 1.1) events = events.slice(events.length - TAIL_CAPACITY);
    if (paused) unseen += 1;
    flush();
  };
  const follow = () => {
    unsubscribe();
    filter = filterInput.value.trim() || 'ns/+/#';
    setRouteQuery('filter', filter === 'ns/+/#' ? null : filter);
    events = [];
    tail.setRows(events);
    showCounter();
    // Retained status copies are the last known statuses, not new events: the tail shows only live ones.
    delete tail.element.dataset.following;
    unsubscribe = connection.subscribe(
      filter,
      (event, _topic, retained) => {
        if (!retained) receive(event);
      },
      () => (tail.element.dataset.following = filter),
    );
  };
  // After a reconnection, what was missed comes from the log, then the live stream continues (no gap).
  const offReconnect = connection.onReconnect(() => {
    const namespace = filter.split('/')[1];
    void connection
      .call<{ events: Event[] }>('events.list', {
        beginOffset: lastOffset,
        limit: 1000,
        ...(namespace && namespace !== '+' && namespace !== '#' ? { namespace } : {}),
      })
      .then(({ events: missed }) =>
        missed.filter((e) => topicMatches(filter, `ns/${e.namespace}/${e.key}`)).forEach(receive),
      )
      .catch(() => undefined);
  });
  filterInput.addEventListener('change', follow);
  hideInput.addEventListener('change', () => {
    hideStatus = hideInput.checked;
    tail.setRows(shown());
  });
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.textContent = paused ? 'Follow' : 'Pause';
    pause.setAttribute('aria-pressed', String(paused));
    if (!paused) {
      unseen = 0;
      tail.setRows(shown());
      tail.scrollToEnd();
    }
    showCounter();
  });

  const element = h(
    'section',
    { class: 'page', 'data-page': 'events' },
    h('h1', {}, 'Events'),
    message,
    h(
      'div',
      { class: 'toolbar' },
      h('label', {}, 'Topic filter ', filterInput),
      h('label', {}, hideInput, ' hide status events'),
      pause,
      counter,
    ),
    tail.element,
    searchForm(connection, message),
    sendForm(connection, message),
  );
  follow();
  return {
    element,
    dispose: () => {
      unsubscribe();
      offReconnect();
    },
  };
}

function searchForm(connection: PageContext['connection'], message: HTMLElement): HTMLElement {
  const field = (name: string, label: string, type = 'text') =>
    h('label', {}, label, ' ', h('input', { name, type, size: 14 }));
  const results = new VirtualTable(COLUMNS, { label: 'search results' });
  const status = h('span', { class: 'muted' });
  const more = h('button', { type: 'button', hidden: true }, 'Next page');
  let found: Event[] = [];
  let params: Record<string, unknown> = {};

  const run = async (append: boolean) => {
    const { events } = await connection.call<{ events: Event[] }>('events.list', params);
    found = append ? found.concat(events) : events;
    results.setRows(found);
    results.element.dataset.count = String(found.length);
    const last = events.at(-1);
    more.hidden = events.length < SEARCH_PAGE || !last;
    if (last) params = { ...params, beginOffset: last.offset };
    status.textContent = `${found.length} events${more.hidden ? '' : ', more after offset ' + last?.offset}`;
  };
  const form = h(
    'form',
    { class: 'search', 'aria-label': 'search events' },
    h('h2', {}, 'Search the log'),
    field('namespace', 'Namespace'),
    field('keys', 'Keys (comma)'),
    field('sender', 'Sender'),
    field('from', 'From', 'datetime-local'),
    field('to', 'To', 'datetime-local'),
    field('after', 'After offset', 'number'),
    h('button', { type: 'submit' }, 'Search'),
    status,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const text = (name: string) => String(data.get(name) ?? '').trim();
    void (async () => {
      params = { limit: SEARCH_PAGE };
      if (text('namespace')) params.namespace = text('namespace');
      if (text('keys'))
        params.keys = text('keys')
          .split(',')
          .map((k) => k.trim())
          .filter(Boolean);
      if (text('sender')) params.sender = text('sender');
      if (text('from')) params.beginTime = new Date(text('from')).getTime();
      if (text('after')) params.beginOffset = Number(text('after'));
      // An end time becomes an offset bound: the largest offset created at or before it.
      if (text('to')) {
        const { offset } = await connection.call<{ offset: number }>('events.timeToOffset', {
          time: new Date(text('to')).getTime(),
        });
        params.endOffset = offset;
      }
      await run(false);
    })().catch((error) => reportError(message, error));
  });
  more.addEventListener('click', () => void run(true).catch((error) => reportError(message, error)));
  return h('section', {}, form, results.element, more);
}

function sendForm(connection: PageContext['connection'], message: HTMLElement): HTMLElement {
  const namespace = h('input', { name: 'namespace', value: 'default', size: 12, 'aria-label': 'namespace' });
  const key = h('input', { name: 'key', required: true, size: 20, 'aria-label': 'key' });
  const value = h('input', { name: 'value', size: 30, 'aria-label': 'value' });
  const result = h('span', { class: 'muted' });
  const form = h(
    'form',
    { class: 'send', 'aria-label': 'send an event' },
    h('h2', {}, 'Send an event'),
    namespace,
    key,
    value,
    h('button', { type: 'submit' }, 'Send'),
    result,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    connection
      .call<{ event: Event }>('events.send', {
        namespace: namespace.value,
        key: key.value,
        value: value.value,
      })
      .then(({ event }) => replace(result, `stored at offset ${event.offset}`))
      .catch((error) => reportError(message, error));
  });
  return form;
}
