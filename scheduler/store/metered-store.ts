import type { SchedulerMetrics } from '../scheduler-metrics.ts';
import type { UnitOfWork } from './records.ts';
import type { MetadataStore } from './metadata-store.ts';

/** Group-commit members a store may have: commits between `beginBatch` and `endBatch` are savepoints of one. */
interface Batching {
  beginBatch?(): Promise<void>;
  endBatch?(): Promise<void>;
  abortBatch?(): Promise<void>;
}

/**
 * The store as the scheduler sees it, with every commit and every recovery reported to `metrics` (what changed,
 * how long the commit took). Inside a group commit, the units of work are reported when the batch ends, and
 * dropped if it is aborted. Every other member passes through untouched, whatever the store implements.
 */
export function meteredStore<S extends MetadataStore>(store: S, metrics: SchedulerMetrics): S {
  const batching = store as S & Batching;
  let batch: { work: UnitOfWork; seconds: number }[] | null = null;
  const timed = async (run: () => Promise<void>): Promise<number> => {
    const started = process.hrtime.bigint();
    await run();
    return Number(process.hrtime.bigint() - started) / 1e9;
  };
  const overrides: Partial<Record<PropertyKey, unknown>> = {
    commit: async (work: UnitOfWork) => {
      const seconds = await timed(() => store.commit(work));
      if (batch) batch.push({ work, seconds });
      else metrics.committed(work, seconds);
    },
    loadRecovery: async () => {
      const recovery = await store.loadRecovery();
      metrics.recovered(recovery);
      return recovery;
    },
  };
  if (batching.beginBatch && batching.endBatch && batching.abortBatch) {
    overrides.beginBatch = async () => {
      await batching.beginBatch!();
      batch = [];
    };
    overrides.endBatch = async () => {
      const seconds = await timed(() => batching.endBatch!());
      const committed = batch ?? [];
      batch = null;
      // The batch's disk sync is part of each of its commits.
      for (const unit of committed) metrics.committed(unit.work, unit.seconds + seconds);
    };
    overrides.abortBatch = async () => {
      batch = null;
      await batching.abortBatch!();
    };
  }
  return new Proxy(store, {
    get(target, property) {
      if (property in overrides) return overrides[property];
      const value: unknown = Reflect.get(target, property);
      // Methods and getters run on the store itself: its private fields are not reachable through the proxy.
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
