import type { Event } from './event.ts';

/**
 * Why a task execution was started, stopped or restarted: every action the scheduler takes on a task execution is
 * stored with its cause, in the unit of work of the action itself, and `taskExecution.show` returns them in order.
 */
export type TaskActionName = 'start' | 'stop' | 'restart';

/** The event that met a rule or a trigger. */
export interface CauseEvent {
  offset: number;
  namespace: string;
  key: string;
  sender: string;
  /** ms since the epoch (server clock). */
  createTime: number;
}

export function causeEvent(event: Event): CauseEvent {
  const { offset, namespace, key, sender, createTime } = event;
  return { offset, namespace, key, sender, createTime };
}

/** A request to the scheduler: its method, and the MQTT client id of the requester when the broker gave it. */
export interface RequestRef {
  method: string;
  client?: string;
}

export type TaskActionCause =
  /** A rule of the task was met by an event. `rule` is its index in declaration order, from 0 (as in custom condition paths). */
  | { kind: 'rule'; rule: number; text: string; condition: string; event: CauseEvent }
  /** `taskExecution.start|stop`, or `workflowExecution.start` for a task that starts with its execution. */
  | ({ kind: 'request' } & RequestRef)
  /** A schedule started the execution this task starts with. */
  | { kind: 'schedule'; scheduleId: number; expression: string }
  /** A workflow trigger, met by an event, started the execution this task starts with. */
  | { kind: 'trigger'; triggerId: number; event: CauseEvent }
  /** Try `attempt` (2 for the first retry) after a failed try; `maxRetries` from the task's spec. */
  | { kind: 'retry'; attempt: number; maxRetries: number }
  /** The try ran longer than the task's time-out and was killed. */
  | { kind: 'timeout'; timeoutMs: number }
  /** A tick of the task's periodic expression. */
  | { kind: 'periodic'; expression: string }
  /** A try committed before a scheduler restart but not yet handed out: handed to the executor again. */
  | { kind: 'recovery' }
  /** The workflow execution was stopped (by this request): its live tasks are stopped with it. */
  | ({ kind: 'execution-stop'; workflowExecutionId: number } & RequestRef);

export type TaskActionCauseKind = TaskActionCause['kind'];

/** One action on a task execution, as stored and returned. Ids increase in the order actions were taken. */
export interface TaskActionInfo {
  id: number;
  taskExecutionId: number;
  action: TaskActionName;
  /** The try it concerns (1 for the first). */
  attempt: number;
  cause: TaskActionCause;
  /** ms since the epoch (scheduler clock). */
  time: number;
}

/**
 * What a task status event carries about the action that caused it (optional `cause` of its context): the action's
 * id (look it up with `taskExecution.show`), the action and the cause's kind, with the ids that name the cause.
 */
export interface TaskActionCauseRef {
  actionId: number;
  action: TaskActionName;
  kind: TaskActionCauseKind;
  /** `rule`: the rule number. */
  rule?: number;
  /** `rule`, `trigger`: the offset of the event. */
  eventOffset?: number;
  /** `schedule` */
  scheduleId?: number;
  /** `trigger` */
  triggerId?: number;
  /** `request`, `execution-stop` */
  method?: string;
}

/** The short reference a status event carries: a few fields, so that status events stay small. */
export function causeRef(action: TaskActionInfo): TaskActionCauseRef {
  const { cause } = action;
  const ref: TaskActionCauseRef = { actionId: action.id, action: action.action, kind: cause.kind };
  switch (cause.kind) {
    case 'rule':
      return { ...ref, rule: cause.rule, eventOffset: cause.event.offset };
    case 'trigger':
      return { ...ref, triggerId: cause.triggerId, eventOffset: cause.event.offset };
    case 'schedule':
      return { ...ref, scheduleId: cause.scheduleId };
    case 'request':
    case 'execution-stop':
      return { ...ref, method: cause.method };
    default:
      return ref;
  }
}
