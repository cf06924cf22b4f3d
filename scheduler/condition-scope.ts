import type { Logger } from '../broker/logger.ts';
import { toAIFlowError } from '../protocol/errors.ts';
import type { TaskStatus } from '../protocol/status.ts';
import type { EvaluationScope } from './conditions.ts';
import type { ConditionSandbox } from './condition-sandbox.ts';
import { snapshotModule } from './snapshot-files.ts';
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
      try {
        const taskStatuses: Record<string, TaskStatus> = {};
        for (const task of target.snapshot.spec.tasks) {
          const status = target.taskStatus(task.name);
          if (status) taskStatuses[task.name] = status;
        }
        const result = await deps.sandbox.evaluate({
          moduleFile: snapshotModule(deps.dataDir, target.snapshot),
          workflow: target.workflow,
          path,
          event,
          states: Object.fromEntries(target.state),
          taskStatuses,
        });
        for (const [name, value] of Object.entries(result.updates)) setState(name, value);
        return result.met;
      } catch (error) {
        deps.logger.warn('condition failed, counted as not met', {
          target: target.label,
          condition: path,
          reason: toAIFlowError(error).message,
        });
        return false;
      }
    },
  };
}
