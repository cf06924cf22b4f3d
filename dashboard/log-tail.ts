import type { Connection } from './connection.ts';
import { h } from './dom.ts';

/** The most text a log view keeps: older text is dropped from the top (a ring, so the tab never chokes). */
const MAX_CHARS = 512 * 1024;
/** How often a follower asks for new lines while the task runs (what `task-execution logs -f` does). */
const FOLLOW_INTERVAL_MS = 500;

interface LogChunk {
  log: string;
  offset: number;
  done: boolean;
}

/**
 * A task execution's log, every try, read with `taskExecution.readLog` and a byte cursor until the task has ended
 * and everything is read. `nudge()` asks at once (a status event came); the text is plain and copyable.
 */
export class LogTail {
  readonly element: HTMLElement;
  readonly #pre: HTMLPreElement;
  readonly #connection: Connection;
  readonly #id: number;
  #offset = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #reading = false;
  #closed = false;

  constructor(connection: Connection, taskExecutionId: number, title: string) {
    this.#connection = connection;
    this.#id = taskExecutionId;
    this.#pre = h('pre', {
      class: 'log',
      tabindex: 0,
      'aria-label': `log of ${title}`,
      'data-done': 'false',
    });
    this.element = h(
      'section',
      { class: 'log-panel', 'data-log': taskExecutionId },
      h('h3', {}, `Log: ${title}`),
      this.#pre,
    );
    void this.#read();
  }

  nudge(): void {
    if (this.#reading || this.#closed || this.#pre.dataset.done === 'true') return;
    clearTimeout(this.#timer);
    void this.#read();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  async #read(): Promise<void> {
    this.#reading = true;
    try {
      for (;;) {
        const chunk = await this.#connection.call<LogChunk>('taskExecution.readLog', {
          taskExecutionId: this.#id,
          offset: this.#offset,
        });
        if (this.#closed) return;
        if (chunk.log) this.#append(chunk.log);
        const more = chunk.offset !== this.#offset;
        this.#offset = chunk.offset;
        if (chunk.done) {
          this.#pre.dataset.done = 'true';
          return;
        }
        if (!more) break;
      }
    } catch (error) {
      this.#append(`\n[${(error as { code?: string }).code ?? 'ERROR'}: ${(error as Error).message}]\n`);
    } finally {
      this.#reading = false;
    }
    if (!this.#closed) this.#timer = setTimeout(() => void this.#read(), FOLLOW_INTERVAL_MS);
  }

  #append(text: string): void {
    const follow = this.#pre.scrollTop + this.#pre.clientHeight >= this.#pre.scrollHeight - 20;
    let all = (this.#pre.textContent ?? '') + text;
    if (all.length > MAX_CHARS) all = '[…]\n' + all.slice(all.length - MAX_CHARS);
    this.#pre.textContent = all;
    if (follow) this.#pre.scrollTop = this.#pre.scrollHeight;
  }
}
