import type { Worker } from 'node:worker_threads';
import { AIFlowError } from '../protocol/errors.ts';
import type { EventLogThreadData, FromThread, ToThread } from './event-log-protocol.ts';
import { startThread } from './start-thread.ts';

/** One of the event log's database threads, seen from the main thread: started, messaged, closed, or dead. */
export class LogThread {
  readonly #worker: Worker;
  #onMessage: (message: FromThread) => void = () => {};
  #onDeath: (error: AIFlowError) => void = () => {};
  #closing: Promise<void> | undefined;
  #lastError: Error | undefined;
  #exited = false;
  readonly #file: string;

  private constructor(worker: Worker, file: string) {
    this.#worker = worker;
    this.#file = file;
    worker.on('exit', () => (this.#exited = true));
    worker.on('error', (error) => (this.#lastError = error));
  }

  /** Starts the thread, which loads its code but opens nothing until `open()`. */
  static start(data: EventLogThreadData): LogThread {
    return new LogThread(startThread(import.meta.url, 'event-log-thread', data), data.file);
  }

  /** Resolves once the thread has opened its connection; rejects with the reason it could not (STORAGE_FAILED). */
  async open(): Promise<void> {
    const worker = this.#worker;
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: FromThread) => {
        if (message.type === 'ready') return settle(resolve);
        if (message.type === 'open-failed') {
          settle(() => reject(new AIFlowError(message.error.code, message.error.message)));
        }
      };
      const onExit = (code: number) =>
        settle(() => reject(this.#deathError(`exited with code ${code} while opening ${this.#file}`)));
      const settle = (done: () => void) => {
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        done();
      };
      worker.on('message', onMessage);
      worker.on('exit', onExit);
      worker.postMessage({ type: 'open' } satisfies ToThread);
    });
    worker.on('message', (message: FromThread) => this.#onMessage(message));
    worker.on('exit', (code) => {
      if (this.#closing === undefined) this.#onDeath(this.#deathError(`exited with code ${code}`));
    });
  }

  /** Handlers for the thread's messages and for its unexpected end (crash, uncaught error, killed). */
  listen(onMessage: (message: FromThread) => void, onDeath: (error: AIFlowError) => void): void {
    this.#onMessage = onMessage;
    this.#onDeath = onDeath;
  }

  post(message: ToThread): void {
    this.#worker.postMessage(message);
  }

  /** Asks the thread to finish its work and close its connection; resolves when it has exited. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      if (this.#exited) return resolve();
      this.#worker.once('exit', () => resolve());
      this.#worker.postMessage({ type: 'close' } satisfies ToThread);
    });
    return this.#closing;
  }

  #deathError(what: string): AIFlowError {
    const reason = this.#lastError ? `${what}: ${this.#lastError.message}` : what;
    return new AIFlowError('STORAGE_FAILED', `the event log's database thread ${reason}`, {
      cause: this.#lastError,
    });
  }
}
