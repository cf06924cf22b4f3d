import { checkName } from './checks.ts';

/**
 * Names a value state that conditions read and write through {@link ConditionContext.getState}.
 * The scheduler stores the value: in task rules it lives as long as the workflow execution, in workflow triggers
 * as long as the workflow. Every condition of the workflow that uses the same name shares the value, and that
 * includes `MeetAllCondition`, whose state is named after it.
 *
 * @typeParam T - the value's type; it must survive `JSON.stringify` / `JSON.parse` unchanged
 *   (no `undefined`, functions, `Date`, `Map`, class instances, `NaN`).
 *
 * @example
 * ```ts
 * const COUNT = new ValueStateDescriptor<number>('count');
 * const state = context.getState(COUNT);
 * state.update((state.value() ?? 0) + 1);
 * ```
 */
export class ValueStateDescriptor<T> {
  /** Type-only: lets `getState(descriptor)` infer `T`. */
  declare readonly valueType?: T;

  /** @param name - 1-64 characters of A-Z a-z 0-9 _ - . */
  constructor(readonly name: string) {
    checkName('ValueStateDescriptor name', name);
  }
}

/** One stored value (see {@link ValueStateDescriptor}). */
export interface ValueState<T> {
  /** The stored value, or `undefined` if none was stored yet. */
  value(): T | undefined;
  /** Stores `value`; it is committed together with the processing of the current event. */
  update(value: T): void;
}
