import { h } from './dom.ts';

/**
 * The "why" slot: the cause records the server attaches to an execution or a task execution (`cause`, `causes`),
 * shown as they come. A string is shown as is; a record by its summary fields, else as compact JSON.
 */
export function causeSlot(record: { cause?: unknown; causes?: unknown }): HTMLElement {
  const causes = [
    ...(record.cause === undefined || record.cause === null ? [] : [record.cause]),
    ...(Array.isArray(record.causes) ? record.causes : []),
  ];
  return h(
    'div',
    { class: 'why', 'data-slot': 'cause', 'data-count': causes.length },
    causes.length === 0 ? h('span', { class: 'muted' }, '—') : causes.map((c) => h('div', {}, causeText(c))),
  );
}

export function causeText(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (typeof cause !== 'object' || cause === null) return String(cause);
  const c = cause as Record<string, unknown>;
  for (const field of ['summary', 'text', 'description', 'message']) {
    if (typeof c[field] === 'string') return c[field];
  }
  return JSON.stringify(cause);
}
