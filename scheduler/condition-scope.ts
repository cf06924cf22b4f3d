import type { Logger } from '../broker/logger.ts';
import { toAIFlowError } from '../protocol/errors.ts';
import type { TaskStatus } from '../protocol/status.ts';
import { usesCustomConditions, type EvaluationScope } from './conditions.ts';
import type { ConditionSandbox } from './condition-sandbox.ts';
import type { SnapshotRecord } from './store/records.ts';

/** Whose conditions are evaluated: a workflow execution (task rules) or a workflow (triggers). */
export interface ScopeTarget {
  workflow: string;
  snapshot: SnapshotRecord;
  /** Where value state is stored: `execution:<id>` or `workflow:<id>`. */
  stateScope: string;
  state: Map<string, unknown>;
  taskStatus: (task: string) => TaskStatus | undefined;
  /** For log lines. */
  label: string;
}

export interface ScopeDeps {
  sandbox: Pick<ConditionSandbox, 'evaluate'>;
  dataDir: string;
  logger: Logger;
  /** Records a state change in the current unit of work. */
  recordState: (scope: string, name: string, value: unknown) => void;
}

/**
 * What conditions may read and change: task statuses, value state (kept in memory and stored with the unit of
 * work), and user code run in the sandbox, where an error or a time-out counts as "not met" and is logged.
 */
export function conditionScope(target: ScopeTarget, deps: ScopeDeps): EvaluationScope {
  const setState = (name: string, value: unknown) => {
    target.state.set(name, value);
    deps.recordState(target.stateScope, name, value);
  };
  return {
    workflow: target.workflow,
    taskStatus: target.taskStatus,
    getState: (name) => target.state.get(name),
    setState,
    custom: async (path, event) => {
      const notMet = (reason: string) => {
        deps.logger.warn('condition failed, counted as not met', {
          target: target.label,
          condition: path,
          reason,
        });
        return false;
      };
      try {
        const taskStatuses: Record<string, TaskStatus> = {};
        for (const task of target.snapshot.spec.tasks) {
          const status = target.taskStatus(task.name);
          if (status) taskStatuses[task.name] = status;
        }
        const outcome = await deps.sandbox.evaluate(
          { dataDir: deps.dataDir, snapshot: target.snapshot },
          { workflow: target.workflow, path, event, states: Object.fromEntries(target.state), taskStatuses },
        );
        if (!outcome.ok) return notMet(outcome.error);
        for (const [name, value] of Object.entries(outcome.updates)) setState(name, value);
        return outcome.met;
      } catch (error) {
        return notMet(toAIFlowError(error).message);
      }
    },
  };
}

/**
 * Tells the sandbox which snapshots are in use (those of live executions and of workflows with triggers): the
 * ones with custom conditions get their processes started now and kept; the others' close once idle.
 */
export function keepSnapshotsWarm(
  sandbox: ConditionSandbox,
  dataDir: string,
  snapshots: Iterable<SnapshotRecord>,
): void {
  const withCustom = new Map<number, SnapshotRecord>();
  for (const snapshot of snapshots)
    if (usesCustomConditions(snapshot.spec)) withCustom.set(snapshot.id, snapshot);
  sandbox.keepWarm([...withCustom.values()].map((snapshot) => ({ dataDir, snapshot })));
}
