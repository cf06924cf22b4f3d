// The declaration emit names TypeBox's optional marker in the inferred types below (else TS4023).
// eslint-disable-next-line @typescript-eslint/no-unused-vars
import type { OptionalKind } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { declare } from './request-declaration.ts';
import {
  Deleted,
  ExecutionsPruned,
  IdResult,
  LogChunk,
  NamespaceInfo,
  Stopped,
  TaskExecutionDetail,
  TaskExecutionInfo,
  UploadedWorkflow,
  WorkflowDetail,
  WorkflowExecutionDetail,
  WorkflowExecutionInfo,
  WorkflowInfo,
  WorkflowScheduleInfo,
  WorkflowTriggerInfo,
} from './request-records.ts';
import {
  EventKey,
  Flag,
  Id,
  NamespaceName,
  NonEmptyString,
  Params,
  PlainName,
  WholeNumber,
  withDefault,
} from './request-schema.ts';
import { WORKFLOW_EXECUTION_STATUSES } from './status.ts';
import { DEFAULT_NAMESPACE } from './topics.ts';

/** Largest `limit` of `workflowExecution.list`: a page of 1,000 records stays far below the packet limit. */
export const MAX_EXECUTION_PAGE = 1_000;

/**
 * What `workflow.upload`'s `source` is: `bundle` (what the CLI sends), an artifact the client bundled where the
 * user's project is; `module` (earlier clients), one self-contained module that the server bundles.
 */
export const UPLOAD_FORMATS = ['module', 'bundle'] as const;
export type UploadFormat = (typeof UPLOAD_FORMATS)[number];
const UploadFormat = Type.Union([Type.Literal('module'), Type.Literal('bundle')], {
  description: 'module or bundle',
});

/** A workflow by namespace and name. */
const workflowRef = {
  namespace: withDefault(NamespaceName, DEFAULT_NAMESPACE),
  workflow: PlainName,
};
const Workflow = Params(workflowRef);
const Execution = Params({ workflowExecutionId: Id });
const TaskExecution = Params({ taskExecutionId: Id });
const Schedule = Params({ scheduleId: Id });
const Trigger = Params({ triggerId: Id });
const Ok = Type.Object({ workflowExecutionId: Type.Integer(), task: Type.String() });

/** The scheduler's methods: the broker forwards them to `$aiflow/scheduler/rpc`. */
export const SCHEDULER_METHODS = {
  'namespace.add': declare({
    service: 'scheduler',
    role: 'admin',
    summary: 'adds a namespace',
    params: Params({ name: NamespaceName }),
    result: NamespaceInfo,
  }),
  'namespace.list': declare({
    service: 'scheduler',
    role: 'viewer',
    summary: 'every namespace',
    params: Params({}),
    result: Type.Array(NamespaceInfo),
  }),
  'namespace.delete': declare({
    service: 'scheduler',
    role: 'admin',
    summary: 'deletes a namespace that has no workflows (never `default`)',
    params: Params({ name: NamespaceName }),
    result: Type.Object({ name: Type.String() }),
  }),

  'workflow.upload': declare({
    service: 'scheduler',
    role: 'admin',
    summary: 'loads a module in an isolated process and stores one snapshot per workflow it declares',
    params: Params({
      fileName: PlainName,
      source: NonEmptyString,
      format: withDefault(UploadFormat, 'module'),
    }),
    result: Type.Array(UploadedWorkflow),
  }),
  'workflow.list': declare({
    service: 'scheduler',
    role: 'viewer',
    summary: 'the workflows of a namespace',
    params: Params({ namespace: workflowRef.namespace }),
    result: Type.Array(WorkflowInfo),
  }),
  'workflow.show': declare({
    service: 'scheduler',
    role: 'viewer',
    summary: 'a workflow with the spec of its latest snapshot',
    params: Workflow,
    result: WorkflowDetail,
  }),
  'workflow.enable': declare({
    service: 'scheduler',
    role: 'operator',
    summary: 'lets schedules, triggers and manual starts run the workflow',
    params: Workflow,
    result: WorkflowInfo,
  }),
  'workflow.disable': declare({
    service: 'scheduler',
    role: 'operator',
    summary: 'stops schedules, triggers and manual starts of the workflow',
    params: Workflow,
    result: WorkflowInfo,
  }),
  'workflow.delete': declare({
    service: 'scheduler',
    role: 'admin',
    summary: 'deletes a workflow that has no live executions',
    params: Workflow,
    result: Type.Object({ namespace: Type.String(), name: Type.String() }),
  }),

  'workflowExecution.start': declare({
    service: 'scheduler',
    role: 'operator',
    summary: 'starts an execution of an enabled workflow',
    params: Workflow,
    result: IdResult,
  }),
  'workflowExecution.stop': declare({
    service: 'scheduler',
    role: 'operator',
    summary: 'stops a running execution (stopped once its tasks have exited)',
    params: Execution,
    result: IdResult,
  }),
  'workflowExecution.stopAll': declare({
    service: 'scheduler',
    role: 'operator',
    summary: 'stops every running execution of a workflow',
    params: Workflow,
    result: Stopped,
  }),
  'workflowExecution.list': declare({
    service: 'scheduler',
    role: 'viewer',
    summary:
      'the executions of a workflow: all, oldest first; with limit, a page, newest first, of ids below beforeId',
    params: Params({
      ...workflowRef,
      limit: Type.Optional(
        Type.Integer({ minimum: 1, maximum: MAX_EXECUTION_PAGE, description: 'an integer from 1 to 1000' }),
      ),
      beforeId: Type.Optional(Id),
      statuses: Type.Optional(
        Type.Array(Type.Union(WORKFLOW_EXECUTION_STATUSES.map((status) => Type.Literal(status))), {
          description: `a list of ${WORKFLOW_EXECUTION_STATUSES.join(', ')}`,
        }),
      ),
    }),
    result: Type.Array(WorkflowExecutionInfo),
  }),
  'workflowExecution.show': declare({
    service: 'scheduler',
    role: 'viewer',
    summary: 'an execution with its task executions',
    params: Execution,
    result: WorkflowExecutionDetail,
  }),
  'workflowExecution.delete': declare({
    service: 'scheduler',
    role: 'operator',
    summary: 'deletes a finished execution',
    params: Execution,
    result: IdResult,
  }),
  'workflowExecution.prune': declare({
    service: 'scheduler',
    role: 'admin',
    summary:
      'removes executions finished before finishedBefore, with their task executions and files; dryRun counts only',
    params: Params({ finishedBefore: withDefault(WholeNumber, 0), dryRun: withDefault(Flag, false) }),
    result: ExecutionsPruned,
  }),

  'taskExecution.start': declare({
    service: 'scheduler',
    role: 'operator',
    summary: 'starts a task of a running execution',
    params: Params({ workflowExecutionId: Id, task: PlainName }),
    result: IdResult,
  }),
  'taskExecution.stop': declare({
    service: 'scheduler',
    role: 'operator',
    summary: 'stops a task of a running execution',
    params: Params({ workflowExecutionId: Id, task: PlainName }),
    result: Ok,
  }),
  'taskExecution.list': declare({
    service: 'scheduler',
    role: 'viewer',
    summary: 'the task executions of an execution',
    params: Execution,
    result: Type.Array(TaskExecutionInfo),
  }),
  'taskExecution.show': declare({
    service: 'scheduler',
    role: 'viewer',
    summary: 'one task execution, with every action taken on it and its cause',
    params: TaskExecution,
    result: TaskExecutionDetail,
  }),
  'taskExecution.logs': declare({
    service: 'scheduler',
    role: 'viewer',
    summary: 'the whole log of a task execution (every try)',
    params: TaskExecution,
    result: Type.Object({ taskExecutionId: Type.Integer(), log: Type.String() }),
  }),
  'taskExecution.readLog': declare({
    service: 'scheduler',
    role: 'viewer',
    summary: 'up to 256 KiB of a task log from a byte offset: whole lines while the task runs',
    params: Params({ taskExecutionId: Id, offset: withDefault(WholeNumber, 0) }),
    result: LogChunk,
  }),

  'workflowSchedule.add': declare({
    service: 'scheduler',
    role: 'operator',
    summary: 'adds a schedule: `cron@<5 fields>` or `interval@<days> <hours> <minutes> <seconds>`',
    params: Params({ ...workflowRef, expression: NonEmptyString }),
    result: WorkflowScheduleInfo,
  }),
  'workflowSchedule.list': declare({
    service: 'scheduler',
    role: 'viewer',
    summary: 'the schedules of a workflow',
    params: Workflow,
    result: Type.Array(WorkflowScheduleInfo),
  }),
  'workflowSchedule.show': declare({
    service: 'scheduler',
    role: 'viewer',
    summary: 'one schedule',
    params: Schedule,
    result: WorkflowScheduleInfo,
  }),
  'workflowSchedule.pause': declare({
    service: 'scheduler',
    role: 'operator',
    summary: 'pauses a schedule',
    params: Schedule,
    result: WorkflowScheduleInfo,
  }),
  'workflowSchedule.resume': declare({
    service: 'scheduler',
    role: 'operator',
    summary: 'resumes a schedule',
    params: Schedule,
    result: WorkflowScheduleInfo,
  }),
  'workflowSchedule.delete': declare({
    service: 'scheduler',
    role: 'operator',
    summary: 'deletes a schedule',
    params: Schedule,
    result: IdResult,
  }),
  'workflowSchedule.deleteAll': declare({
    service: 'scheduler',
    role: 'operator',
    summary: 'deletes every schedule of a workflow',
    params: Workflow,
    result: Deleted,
  }),

  'workflowTrigger.add': declare({
    service: 'scheduler',
    role: 'operator',
    summary: 'adds a trigger on an event key (and value)',
    params: Params({ ...workflowRef, eventKey: EventKey, eventValue: Type.Optional(NonEmptyString) }),
    result: WorkflowTriggerInfo,
  }),
  'workflowTrigger.list': declare({
    service: 'scheduler',
    role: 'viewer',
    summary: 'the triggers of a workflow',
    params: Workflow,
    result: Type.Array(WorkflowTriggerInfo),
  }),
  'workflowTrigger.show': declare({
    service: 'scheduler',
    role: 'viewer',
    summary: 'one trigger',
    params: Trigger,
    result: WorkflowTriggerInfo,
  }),
  'workflowTrigger.pause': declare({
    service: 'scheduler',
    role: 'operator',
    summary: 'pauses a trigger',
    params: Trigger,
    result: WorkflowTriggerInfo,
  }),
  'workflowTrigger.resume': declare({
    service: 'scheduler',
    role: 'operator',
    summary: 'resumes a trigger',
    params: Trigger,
    result: WorkflowTriggerInfo,
  }),
  'workflowTrigger.delete': declare({
    service: 'scheduler',
    role: 'operator',
    summary: 'deletes a trigger',
    params: Trigger,
    result: IdResult,
  }),
  'workflowTrigger.deleteAll': declare({
    service: 'scheduler',
    role: 'operator',
    summary: 'deletes every trigger of a workflow',
    params: Workflow,
    result: Deleted,
  }),
};
