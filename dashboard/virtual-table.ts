import { h, frameThrottle } from './dom.ts';

export interface Column<T> {
  title: string;
  /** CSS grid track, e.g. `6rem` or `1fr`. */
  width: string;
  cell(row: T): string | Node;
}

/**
 * A table that renders only the rows in view (fixed row height), so 10,000 rows cost what 30 do. Rows are divs
 * with ARIA table roles: a real `<table>` cannot position a window of rows.
 */
export class VirtualTable<T> {
  readonly element: HTMLElement;
  readonly #viewport: HTMLElement;
  readonly #body: HTMLElement;
  readonly #columns: Column<T>[];
  readonly #rowHeight: number;
  #rows: readonly T[] = [];
  readonly #render = frameThrottle(() => this.#draw());

  constructor(columns: Column<T>[], options: { rowHeight?: number; label: string }) {
    this.#columns = columns;
    this.#rowHeight = options.rowHeight ?? 26;
    const template = columns.map((c) => c.width).join(' ');
    const header = h(
      'div',
      { class: 'vhead', role: 'rowgroup' },
      h(
        'div',
        { class: 'vrow', role: 'row' },
        columns.map((c) => h('div', { role: 'columnheader' }, c.title)),
      ),
    );
    this.#body = h('div', { class: 'vbody', role: 'rowgroup' });
    // The table scrolls itself (its header sticks): a focusable scrolling wrapper between the table and its row
    // groups would break the ARIA table structure.
    this.element = h(
      'div',
      { class: 'vtable', role: 'table', 'aria-label': options.label, tabindex: 0 },
      header,
      this.#body,
    );
    this.#viewport = this.element;
    this.#viewport.addEventListener('scroll', this.#render);
    this.element.style.setProperty('--columns', template);
  }

  get rowCount(): number {
    return this.#rows.length;
  }

  /** Shows `rows`: at the next frame, or at once with `now` (from code that already runs once per frame). */
  setRows(rows: readonly T[], options: { now?: boolean } = {}): void {
    this.#rows = rows;
    if (options.now) this.#draw();
    else this.#render();
  }

  /** True when the view shows the last row (the tail then keeps following). */
  atEnd(): boolean {
    const v = this.#viewport;
    return v.scrollTop + v.clientHeight >= v.scrollHeight - this.#rowHeight * 2;
  }

  scrollToEnd(): void {
    this.#viewport.scrollTop = this.#viewport.scrollHeight;
    this.#render();
  }

  #draw(): void {
    const total = this.#rows.length;
    this.#body.style.height = `${total * this.#rowHeight}px`;
    const first = Math.max(0, Math.floor(this.#viewport.scrollTop / this.#rowHeight) - 5);
    const visible = Math.ceil((this.#viewport.clientHeight || 600) / this.#rowHeight) + 10;
    const rows: HTMLElement[] = [];
    for (let i = first; i < Math.min(total, first + visible); i++) {
      const row = this.#rows[i]!;
      const element = h(
        'div',
        { class: 'vrow', role: 'row' },
        this.#columns.map((c) => h('div', { role: 'cell' }, c.cell(row))),
      );
      // Styles through the CSSOM: the page's Content-Security-Policy allows no inline style attribute.
      element.style.top = `${i * this.#rowHeight}px`;
      element.style.height = `${this.#rowHeight}px`;
      rows.push(element);
    }
    this.#body.replaceChildren(...rows);
  }
}
