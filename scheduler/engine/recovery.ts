import { FINISHED_TASK_STATUSES, type TaskStatus } from '../../protocol/status.ts';
import type { TaskSlot } from '../execution.ts';
import type { Recovery } from '../store/metadata-store.ts';
import { runId } from '../task-request.ts';
import type { WorkflowCatalog } from '../workflow-catalog.ts';
import type { EngineState } from './engine-state.ts';
import { OBSERVED_STATE } from './event-router.ts';
import type { ExecutionLifecycle } from './execution-lifecycle.ts';
import type { TaskRunner } from './ports.ts';
import type { TaskLifecycle } from './task-lifecycle.ts';
import type { EngineTimers } from './timers.ts';

export interface RecoveryDeps {
  state: EngineState;
  catalog: WorkflowCatalog;
  executions: ExecutionLifecycle;
  tasks: TaskLifecycle;
  timers: EngineTimers;
  runner: TaskRunner;
}

/**
 * Rebuilds the working set from the store, as a restart does: live executions with their actors in their stored
 * statuses, condition state, timers. Task processes still running are adopted, tries that were committed but never
 * handed to the executor are submitted again (the executor never starts one twice), interrupted stops are resumed,
 * and a stopping execution whose tasks have all exited is stopped. Runs inside a unit of work.
 */
export function recover(deps: RecoveryDeps, recovery: Recovery): void {
  const { state, catalog, executions, tasks, timers, runner } = deps;
  state.ids = recovery.nextIds;
  for (const record of recovery.runningExecutions) {
    const snapshot = catalog.cachedSnapshot(record.snapshotId);
    if (!snapshot) continue;
    const execution = executions.live(record, snapshot);
    for (const s of recovery.states.filter((s) => s.scope === execution.stateScope)) {
      if (s.name === OBSERVED_STATE) {
        for (const [task, status] of Object.entries(s.value as Record<string, TaskStatus>)) {
          execution.observed.set(task, status);
        }
      } else execution.state.set(s.name, s.value);
    }
    for (const te of recovery.taskExecutions.filter((t) => t.workflowExecutionId === record.id)) {
      const previous = execution.latest.get(te.task);
      if (previous && previous.record.sequence > te.sequence) continue;
      const task = execution.task(te.task);
      const live = !FINISHED_TASK_STATUSES.has(te.status) && task !== undefined;
      const slot: TaskSlot = { record: te, actor: live ? tasks.actor(te, task, te) : null };
      execution.latest.set(te.task, slot);
      state.byTaskExecution.set(te.id, { execution, task: te.task });
    }
  }
  const work = state.current();
  // Tasks that were running keep running across a graceful restart: re-attach to them.
  const adopt = [...state.live.values()].flatMap((e) =>
    [...e.latest.values()]
      .filter((s) => s.actor && s.record.pid !== null && ['running', 'stopping'].includes(s.record.status))
      .map((s) => ({
        taskExecutionId: runId(s.record.id, s.record.attempt),
        pid: s.record.pid!,
        startTime: s.record.beginTime,
        timeoutMs: e.task(s.record.task)?.timeoutMs ?? null,
      })),
  );
  if (adopt.length > 0) work.effects.push(() => void runner.adopt(adopt));
  for (const execution of state.live.values()) {
    for (const slot of execution.latest.values()) {
      const task = execution.task(slot.record.task);
      if (!task || !slot.actor) continue;
      // Queued but not yet started: hand it to the executor again (it refuses a run it already launched).
      if (slot.record.status === 'queued' && slot.record.pid === null) {
        tasks.recordAction(slot, 'start', { kind: 'recovery' });
        tasks.submit(execution, slot.record.id, task, slot.record.attempt);
      }
      if (slot.record.status === 'stopping') tasks.stopProcess(slot.record.id, slot.record.attempt);
    }
    executions.drainIfIdle(execution);
  }
  for (const timer of recovery.timers) timers.arm(timer);
}
