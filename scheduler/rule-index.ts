/**
 * Which running executions expect an event key, by namespace: an event with no execution context goes only to
 * them (SPEC §2.4), found with one map lookup instead of a broadcast.
 */
export class RuleIndex {
  readonly #byKey = new Map<string, Set<number>>();

  add(executionId: number, namespace: string, keys: Iterable<string>): void {
    for (const key of keys) {
      const slot = indexKey(namespace, key);
      let ids = this.#byKey.get(slot);
      if (!ids) this.#byKey.set(slot, (ids = new Set()));
      ids.add(executionId);
    }
  }

  remove(executionId: number, namespace: string, keys: Iterable<string>): void {
    for (const key of keys) {
      const slot = indexKey(namespace, key);
      const ids = this.#byKey.get(slot);
      ids?.delete(executionId);
      if (ids?.size === 0) this.#byKey.delete(slot);
    }
  }

  clear(): void {
    this.#byKey.clear();
  }

  /** Executions expecting the key, in id order (older executions first). */
  lookup(namespace: string, key: string): number[] {
    return [...(this.#byKey.get(indexKey(namespace, key)) ?? [])].sort((a, b) => a - b);
  }
}

function indexKey(namespace: string, key: string): string {
  return `${namespace}\u0000${key}`;
}
