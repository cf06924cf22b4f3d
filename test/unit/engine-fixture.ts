// The scheduler's engine without MQTT or processes: a real SQLite store, a recording executor, a manual clock.
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createLogger } from '../../broker/logger.ts';
import type { Event } from '../../protocol/event.ts';
import type { Clock } from '../../scheduler/clock.ts';
import { SchedulerEngine } from '../../scheduler/engine/engine.ts';
import type { TaskRunner } from '../../scheduler/engine/ports.ts';
import type { SubmitRequest } from '../../scheduler/executor/executor-options.ts';
import type { MetadataStore } from '../../scheduler/store/metadata-store.ts';
import type { OutboxRecord, UnitOfWork } from '../../scheduler/store/records.ts';
import { SqliteMetadataStore } from '../../scheduler/store/sqlite-metadata-store.ts';
import { toSpec, type Workflow } from '../../workflow/index.ts';
import { tempDir } from '../helpers.ts';
import { ManualClock } from '../manual-clock.ts';

/** Records what the engine hands to the executor, and how many store commits had happened by then. */
export class RecordingRunner implements TaskRunner {
  readonly submits: { request: SubmitRequest; commitsBefore: number }[] = [];
  store: MetadataStore | undefined;
  onSubmit: (() => void) | undefined;
  async submit(request: SubmitRequest): Promise<void> {
    this.submits.push({ request, commitsBefore: this.store!.commits });
    this.onSubmit?.();
  }
  /** Runs the engine asked to stop (after its commit). */
  readonly stops: number[] = [];
  async stop(runId: number): Promise<void> {
    this.stops.push(runId);
  }
  async adopt(): Promise<void> {}
  /** Runs the tests hand out as still waiting for a process slot: `withdraw` takes them back. */
  readonly waiting = new Set<number>();
  withdraw(runId: number): boolean {
    return this.waiting.delete(runId);
  }
}

/** A loaded engine on `store` (closed after the test), with what it publishes. */
export async function engineOn(t: TestContext, store: MetadataStore, clock: Clock = new ManualClock()) {
  const runner = new RecordingRunner();
  runner.store = store;
  const published: OutboxRecord[] = [];
  const engine = new SchedulerEngine({
    store,
    runner,
    conditions: { evaluate: () => Promise.reject(new Error('no custom condition here')) },
    clock,
    logger: createLogger('error', () => undefined),
    dataDir: tempDir(t),
    server: 'mqtt://127.0.0.1:1',
    publish: (outbox) => published.push(...outbox),
  });
  t.after(() => engine.close());
  await engine.load();
  return { engine, runner, published };
}

/** A new store holding `workflow`, and a loaded engine on it; `wrap` may stand in front of the store. */
export async function engineWith(
  t: TestContext,
  workflow: Workflow,
  wrap?: (store: MetadataStore) => MetadataStore,
  clock: Clock = new ManualClock(),
) {
  const store = SqliteMetadataStore.open(join(tempDir(t), 'metadata.db'));
  t.after(() => store.close());
  const { workflow: record } = await store.saveUpload({
    fileName: 'w.ts',
    source: '',
    spec: toSpec(workflow),
  });
  const used = wrap ? wrap(store) : store;
  return { store, record, ...(await engineOn(t, used, clock)) };
}

/** Wraps a store so that a unit of work for which `fails` is true throws from `commit`, as a full disk would. */
export function failingCommits(fails: (work: UnitOfWork) => boolean) {
  return (real: MetadataStore): MetadataStore => {
    const commit: MetadataStore['commit'] = async (work) => {
      if (fails(work)) throw new Error('disk full');
      return real.commit(work);
    };
    return new Proxy(real, {
      get: (target, name) => {
        if (name === 'commit') return commit;
        const value: unknown = Reflect.get(target, name);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
}

let offset = 0;
/** An event of the default namespace, at the next offset. */
export function event(key: string, context: object | null = null, sender = 'test'): Event {
  return {
    offset: ++offset,
    key,
    value: 'v',
    namespace: 'default',
    sender,
    context: context && JSON.stringify(context),
    createTime: Date.now(),
  };
}

/** The offset the last `event` was given. */
export function lastOffset(): number {
  return offset;
}
