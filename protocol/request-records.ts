import { Type, type TSchema } from '@sinclair/typebox';
import { TASK_STATUSES, WORKFLOW_EXECUTION_STATUSES } from './status.ts';
import type { ConditionSpec, WorkflowSpec } from '../workflow/spec.ts';
import type { TaskActionInfo } from './task-actions.ts';

/** What request methods answer. Times are ms since the epoch; ids are positive integers. */
const Time = Type.Integer({ description: 'ms since the epoch' });
const MaybeTime = Type.Union([Time, Type.Null()]);
const Ids = Type.Array(Type.Integer());

/** A string union whose TypeScript type is the literal union of `values`. */
function oneOf<T extends string>(values: readonly T[]) {
  return Type.Unsafe<T>({ type: 'string', enum: [...values] });
}

/** Checked by the workflow loader, not here: published as a plain object. */
function opaque<T>(description: string) {
  return Type.Unsafe<T>(Type.Object({}, { description }));
}

/** Names a record: its `title` names it in the published JSON Schemas and the README's method table. */
function record<S extends TSchema>(title: string, schema: S): S {
  return { ...schema, title };
}

export const Event = record(
  'Event',
  Type.Object({
    offset: Type.Integer({ description: 'global, strictly increasing position in the event log' }),
    key: Type.String(),
    value: Type.String(),
    namespace: Type.String(),
    sender: Type.String(),
    context: Type.Union([Type.String(), Type.Null()]),
    createTime: Time,
  }),
);

export const NamespaceInfo = record('NamespaceInfo', Type.Object({ name: Type.String(), createTime: Time }));

export const WorkflowInfo = record(
  'WorkflowInfo',
  Type.Object({
    id: Type.Integer(),
    namespace: Type.String(),
    name: Type.String(),
    enabled: Type.Boolean(),
    snapshotId: Type.Integer({ description: 'the snapshot new executions run on (the latest upload)' }),
    createTime: Time,
    updateTime: Time,
  }),
);

export const WorkflowDetail = record(
  'WorkflowDetail',
  Type.Composite([
    WorkflowInfo,
    Type.Object({
      spec: Type.Optional(opaque<WorkflowSpec>('the workflow spec of its snapshot: tasks, rules, triggers')),
    }),
  ]),
);

export const UploadedWorkflow = Type.Object({
  namespace: Type.String(),
  name: Type.String(),
  workflowId: Type.Integer(),
  snapshotId: Type.Integer(),
  tasks: Type.Integer({ description: 'number of tasks' }),
});

export const WorkflowExecutionInfo = record(
  'WorkflowExecutionInfo',
  Type.Object({
    id: Type.Integer(),
    workflowId: Type.Integer(),
    snapshotId: Type.Integer(),
    namespace: Type.String(),
    workflow: Type.String(),
    status: oneOf(WORKFLOW_EXECUTION_STATUSES),
    runType: oneOf(['manual', 'schedule', 'trigger'] as const),
    beginTime: Time,
    endTime: MaybeTime,
  }),
);

export const TaskExecutionInfo = record(
  'TaskExecutionInfo',
  Type.Object({
    id: Type.Integer(),
    workflowExecutionId: Type.Integer(),
    task: Type.String(),
    sequence: Type.Integer({ description: '1, 2, 3… per (workflow execution, task)' }),
    attempt: Type.Integer({ description: '1 for the first try; a retry increments it' }),
    status: oneOf(TASK_STATUSES),
    pid: Type.Union([Type.Integer(), Type.Null()]),
    beginTime: Time,
    endTime: MaybeTime,
    reason: Type.Union([Type.String(), Type.Null()]),
  }),
);

export const TaskExecutionDetail = record(
  'TaskExecutionDetail',
  Type.Composite([
    TaskExecutionInfo,
    Type.Object({
      actions: Type.Array(
        opaque<TaskActionInfo>(
          'a START, STOP or RESTART with its time and cause, in order (README: "Why did this task run?")',
        ),
      ),
    }),
  ]),
);

export const WorkflowExecutionDetail = record(
  'WorkflowExecutionDetail',
  Type.Composite([WorkflowExecutionInfo, Type.Object({ taskExecutions: Type.Array(TaskExecutionInfo) })]),
);

export const WorkflowScheduleInfo = record(
  'WorkflowScheduleInfo',
  Type.Object({
    id: Type.Integer(),
    workflowId: Type.Integer(),
    expression: Type.String(),
    description: Type.String({ description: 'e.g. `every 10 minutes`' }),
    paused: Type.Boolean(),
    nextRunTime: Type.Union([Time, Type.Null()], { description: 'null while paused' }),
    createTime: Time,
  }),
);

export const WorkflowTriggerInfo = record(
  'WorkflowTriggerInfo',
  Type.Object({
    id: Type.Integer(),
    workflowId: Type.Integer(),
    condition: opaque<ConditionSpec>('the condition: `{"type": "event", "key", "value"?}` or a declared one'),
    origin: oneOf(['module', 'cli'] as const),
    paused: Type.Boolean(),
    createTime: Time,
  }),
);

export const LogChunk = Type.Object({
  taskExecutionId: Type.Integer(),
  status: oneOf(TASK_STATUSES),
  log: Type.String(),
  offset: Type.Integer({ description: 'where the next read starts' }),
  done: Type.Boolean({ description: 'the task has ended and nothing is left to read' }),
});

export const ExecutionsPruned = Type.Object({
  executions: Type.Integer(),
  taskExecutions: Type.Integer(),
  files: Type.Integer(),
  ids: Ids,
  dryRun: Type.Boolean(),
});

export const EventsPruned = Type.Object({
  removed: Type.Integer(),
  byNamespace: Type.Array(Type.Object({ namespace: Type.String(), removed: Type.Integer() })),
  maxOffset: Type.Integer({ description: 'the scheduler checkpoint: no event above it was removed' }),
  dryRun: Type.Boolean(),
});

export const SenderCount = Type.Object({ sender: Type.String(), count: Type.Integer() });

export const IdResult = Type.Object({ id: Type.Integer() });
export const Stopped = Type.Object({ stopped: Ids });
export const Deleted = Type.Object({ deleted: Ids });
