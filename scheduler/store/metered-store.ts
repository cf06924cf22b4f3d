import type { SchedulerMetrics } from '../scheduler-metrics.ts';
import type { MetadataStore } from './metadata-store.ts';

/**
 * The store as the scheduler sees it, with every commit and every recovery reported to `metrics` (what changed,
 * how long the commit took). Every other member passes through untouched, whatever the store implements.
 */
export function meteredStore(store: MetadataStore, metrics: SchedulerMetrics): MetadataStore {
  const commit: MetadataStore['commit'] = async (work) => {
    const started = process.hrtime.bigint();
    await store.commit(work);
    metrics.committed(work, Number(process.hrtime.bigint() - started) / 1e9);
  };
  const loadRecovery: MetadataStore['loadRecovery'] = async () => {
    const recovery = await store.loadRecovery();
    metrics.recovered(recovery);
    return recovery;
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === 'commit') return commit;
      if (property === 'loadRecovery') return loadRecovery;
      const value: unknown = Reflect.get(target, property);
      // Methods and getters run on the store itself: its private fields are not reachable through the proxy.
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
