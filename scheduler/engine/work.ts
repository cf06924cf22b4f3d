import { emptyUnitOfWork, type UnitOfWork } from '../store/records.ts';

/** The work one input (an event, a task report, a request, a timer) does: writes to commit, effects to run after. */
export interface Work {
  uow: UnitOfWork;
  effects: (() => void)[];
}

export function newWork(): Work {
  return { uow: emptyUnitOfWork(), effects: [] };
}

/** Whether an input changed anything: one that did not costs no write and leaves memory as it was. */
export function changedAnything(work: Work): boolean {
  const u = work.uow;
  return (
    work.effects.length > 0 ||
    u.workflowExecutions.length + u.taskExecutions.length + u.states.length + u.timers.length > 0 ||
    u.deletedTimers.length + u.outbox.length + u.taskActions.length > 0
  );
}
