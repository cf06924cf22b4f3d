import { h } from './dom.ts';

/**
 * A status is shown as a word, a shape and a colour (never by colour alone). Shapes are plain characters, so they
 * read in every theme and copy as text.
 */
const SHAPES: Record<string, string> = {
  init: '○',
  queued: '◔',
  running: '▶',
  retrying: '↻',
  stopping: '◼',
  success: '✓',
  failed: '✗',
  stopped: '■',
};

export function statusBadge(status: string): HTMLElement {
  return h(
    'span',
    { class: `status status-${status}`, 'data-status': status },
    `${SHAPES[status] ?? '•'} ${status}`,
  );
}

/** The shape alone, coloured, with the status as its accessible name (the strip of recent runs). */
export function statusShape(status: string): HTMLElement {
  return h(
    'span',
    { class: `status status-${status}`, 'data-status': status, role: 'img', 'aria-label': status },
    SHAPES[status] ?? '•',
  );
}

export const LIVE_STATUSES = new Set(['init', 'queued', 'running', 'retrying', 'stopping']);

export function statusLegend(): HTMLElement {
  return h(
    'div',
    { class: 'legend', 'aria-label': 'status legend' },
    Object.keys(SHAPES).map((s) => statusBadge(s)),
  );
}
