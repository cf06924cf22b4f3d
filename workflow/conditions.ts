import type { Event } from '../protocol/event.ts';
import { taskStatusKey } from '../protocol/status-events.ts';
import { checkEventKey, checkKeyFormat, checkName, checkStatus, invalid, show } from './checks.ts';
import { ValueStateDescriptor, type ValueState } from './state.ts';
import type { TaskStatus } from './task-status.ts';

/** What a condition may read and write while it decides. */
export interface ConditionContext {
  /** A value state scoped to the workflow execution (task rules) or to the workflow (workflow triggers). */
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  /** Status of the task's latest execution in this workflow execution; `undefined` if it never ran. */
  getTaskStatus(taskName: string): TaskStatus | undefined;
}

// Symbol.for, not a module-local symbol or `instanceof`: a user's module may load another copy of this package,
// and the loader must still recognise its conditions.
const CONDITION_BRAND = Symbol.for('aiflow.condition');
const BUILTIN_KIND = Symbol.for('aiflow.condition.builtin');

/** The built-in conditions the scheduler evaluates itself, from the spec. */
export type BuiltinKind = 'event' | 'any' | 'all' | 'taskStatus';

/**
 * A test that decides whether a rule fires. It is evaluated only for events whose key is in
 * {@link Condition.expectedKeys}, in the namespace of its workflow.
 *
 * Subclass it for a custom condition. A custom condition runs in a sandbox process that re-creates it from the
 * workflow module for each evaluation, so it must keep nothing in its fields between calls: remember things with
 * `context.getState(descriptor)` instead.
 *
 * @example
 * ```ts
 * class EveryOtherEvent extends Condition {
 *   static readonly COUNT = new ValueStateDescriptor<number>('count');
 *   constructor(key: string) { super([key]); }
 *   isMet(_event: Event, context: ConditionContext): boolean {
 *     const count = context.getState(EveryOtherEvent.COUNT);
 *     const next = (count.value() ?? 0) + 1;
 *     count.update(next);
 *     return next % 2 === 0;
 *   }
 * }
 * ```
 */
export abstract class Condition {
  /** The keys this condition listens to, without duplicates. */
  readonly expectedKeys: readonly string[];

  /**
   * @param expectedKeys - at least one key. Keys starting with `$` are reserved; a custom condition may still
   *   expect the status keys of its own workflow's tasks (`task.statusKey`).
   */
  constructor(expectedKeys: readonly string[]) {
    if (!Array.isArray(expectedKeys))
      throw invalid(`expected event keys must be an array, got ${show(expectedKeys)}`);
    if (expectedKeys.length === 0) throw invalid('a condition must expect at least one event key');
    this.expectedKeys = Object.freeze([...new Set(expectedKeys.map(checkKeyFormat))]);
    Object.defineProperty(this, CONDITION_BRAND, { value: true });
  }

  /** Whether the rule fires for `event`; may be async. Throwing counts as an error of the event, never as met. */
  abstract isMet(event: Event, context: ConditionContext): boolean | Promise<boolean>;
}

/** Whether `value` is a {@link Condition}, from any copy of this package. */
export function isCondition(value: unknown): value is Condition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[CONDITION_BRAND] === true
  );
}

/**
 * The kind of a built-in condition, or `undefined` for user code. A subclass of a built-in is user code:
 * it may override `isMet`, so only the sandbox can evaluate it.
 */
export function builtinKind(condition: Condition): BuiltinKind | undefined {
  return (condition as unknown as Record<symbol, BuiltinKind | undefined>)[BUILTIN_KIND];
}

/** The children of `any` / `all` conditions; none for the others. */
export function childConditions(condition: Condition): readonly Condition[] {
  const kind = builtinKind(condition);
  return kind === 'any' || kind === 'all' ? (condition as MeetAnyCondition).conditions : [];
}

function brand(condition: Condition, kind: BuiltinKind): void {
  Object.defineProperty(condition, BUILTIN_KIND, { value: kind });
}

function checkChildren(what: string, conditions: unknown): readonly Condition[] {
  if (!Array.isArray(conditions) || conditions.length === 0)
    throw invalid(`${what} needs at least one condition`);
  conditions.forEach((condition, index) => {
    if (!isCondition(condition))
      throw invalid(`${what}: condition ${index} is not a Condition, got ${show(condition)}`);
  });
  return Object.freeze([...(conditions as Condition[])]);
}

/** Met by every event with `key`: what `actionOnEventReceived` creates. */
export class SingleEventCondition extends Condition {
  constructor(readonly key: string) {
    super([checkEventKey(key)]);
    if (new.target === SingleEventCondition) brand(this, 'event');
  }

  isMet(event: Event, _context: ConditionContext): boolean {
    return event.key === this.key;
  }
}

/**
 * Met when one of `conditions` is met. Only the children that expect the event's key are evaluated, in order,
 * and the first one met wins (the others do not see the event).
 */
export class MeetAnyCondition extends Condition {
  readonly conditions: readonly Condition[];

  constructor(conditions: readonly Condition[]) {
    const children = checkChildren('MeetAnyCondition', conditions);
    super(children.flatMap((child) => child.expectedKeys));
    this.conditions = children;
    if (new.target === MeetAnyCondition) brand(this, 'any');
  }

  async isMet(event: Event, context: ConditionContext): Promise<boolean> {
    for (const child of this.conditions) {
      if (child.expectedKeys.includes(event.key) && (await child.isMet(event, context))) return true;
    }
    return false;
  }
}

/**
 * Met when every one of `conditions` has been met, possibly by different events. It remembers the last result of
 * each child in the value state `name` (a `boolean[]`), so `name` must be unique within the workflow and differ
 * from the names of other value states. A child stays met until it is evaluated again and is not met.
 */
export class MeetAllCondition extends Condition {
  readonly conditions: readonly Condition[];

  /** @param name - the name of its state: 1-64 characters of A-Z a-z 0-9 _ - . */
  constructor(
    readonly name: string,
    conditions: readonly Condition[],
  ) {
    checkName('MeetAllCondition name', name);
    const children = checkChildren('MeetAllCondition', conditions);
    super(children.flatMap((child) => child.expectedKeys));
    this.conditions = children;
    if (new.target === MeetAllCondition) brand(this, 'all');
  }

  async isMet(event: Event, context: ConditionContext): Promise<boolean> {
    const state = context.getState(new ValueStateDescriptor<boolean[]>(this.name));
    const stored = state.value();
    // A state left by another snapshot of the workflow may have another length: keep what still lines up.
    const met = this.conditions.map((_, index) => stored?.[index] === true);
    for (const [index, child] of this.conditions.entries()) {
      if (child.expectedKeys.includes(event.key)) met[index] = await child.isMet(event, context);
    }
    state.update(met);
    return met.every(Boolean);
  }
}

/** One task and the status its latest execution must have. */
export interface TaskStatusEntry {
  task: string;
  status: TaskStatus;
}

/**
 * Met when the latest execution of every listed task of `workflow` (in the same workflow execution) has the given
 * status; the event that triggers the check is any status change of those tasks. `startAfter` and
 * `actionOnTaskStatus` create it; build one yourself only to nest it in `MeetAnyCondition` / `MeetAllCondition`.
 * A task that never ran has no status, so it meets no entry.
 */
export class TaskStatusCondition extends Condition {
  readonly statuses: readonly TaskStatusEntry[];

  /** @param workflow - the name of the workflow of the tasks: task rules see only their own workflow's tasks. */
  constructor(
    readonly workflow: string,
    statuses: readonly TaskStatusEntry[],
  ) {
    checkName('workflow name', workflow);
    if (!Array.isArray(statuses) || statuses.length === 0)
      throw invalid('TaskStatusCondition needs at least one task');
    const entries = statuses.map(({ task, status }) => ({
      task: checkName('task name', task),
      status: checkStatus(status, task),
    }));
    super(entries.map(({ task }) => taskStatusKey(workflow, task)));
    this.statuses = Object.freeze(entries);
    if (new.target === TaskStatusCondition) brand(this, 'taskStatus');
  }

  isMet(_event: Event, context: ConditionContext): boolean {
    return this.statuses.every(({ task, status }) => context.getTaskStatus(task) === status);
  }
}
