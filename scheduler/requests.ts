import { existsSync, readFileSync } from 'node:fs';
import { AIFlowError } from '../protocol/errors.ts';
import { LIVE_WORKFLOW_EXECUTION_STATUSES } from '../protocol/status.ts';
import {
  isSchedulerMethod,
  type ParsedParams,
  type RequestResult,
  type SchedulerMethod,
} from '../protocol/request-methods.ts';
import { parseRequestParams, type ParsedRequest } from '../protocol/request-validation.ts';
import type { RequestRef } from '../protocol/task-actions.ts';
import { DEFAULT_NAMESPACE } from '../protocol/topics.ts';
import { describeSchedule, parseScheduleExpression } from './schedule/expression.ts';
import { MAINTENANCE_HANDLERS } from './maintenance-requests.ts';
import type { MetadataStore } from './store/metadata-store.ts';
import type { RunType, ScheduleRecord, TriggerRecord, WorkflowRecord } from './store/records.ts';
import type { WorkflowCatalog } from './workflow-catalog.ts';
import { uploadWorkflows } from './workflow-upload.ts';

type Params = Record<string, unknown>;
/** A workflow by namespace and name, as the handlers receive it (the namespace defaulted). */
type WorkflowRef = ParsedParams<'workflow.show'>;

/** What the request handlers need of the scheduler; each request runs as one unit of work. */
export interface RequestTarget {
  readonly store: MetadataStore;
  readonly catalog: WorkflowCatalog;
  /** Snapshots, uploads and task logs live here. */
  readonly dataDir: string;
  /** `by`: the request, recorded as the cause of the task actions it leads to. */
  startExecution(workflow: WorkflowRecord, runType: RunType, by?: RequestRef): Promise<number>;
  stopExecution(id: number, by?: RequestRef): Promise<void>;
  startTask(executionId: number, task: string, by?: RequestRef): Promise<number>;
  stopTask(executionId: number, task: string, by?: RequestRef): Promise<void>;
  logFiles(taskExecutionId: number, attempts: number): string[];
}

/**
 * One handler per scheduler method, typed by its declaration in `protocol/scheduler-methods.ts`. `by`: the request
 * itself (method and requester), the cause of the task actions it takes.
 */
export type SchedulerHandlers<K extends SchedulerMethod = SchedulerMethod> = {
  [M in K]: (scheduler: RequestTarget, params: ParsedParams<M>, by: RequestRef) => Promise<RequestResult<M>>;
};

async function workflowOf(scheduler: RequestTarget, ref: WorkflowRef): Promise<WorkflowRecord> {
  const workflow = await scheduler.store.getWorkflow(ref.namespace, ref.workflow);
  if (!workflow)
    throw new AIFlowError('NOT_FOUND', `workflow ${ref.namespace}.${ref.workflow} does not exist`);
  return workflow;
}

async function executionOf(scheduler: RequestTarget, executionId: number) {
  const execution = await scheduler.store.getWorkflowExecution(executionId);
  if (!execution) throw new AIFlowError('NOT_FOUND', `workflow execution ${executionId} does not exist`);
  return execution;
}

async function taskExecutionOf(scheduler: RequestTarget, taskExecutionId: number) {
  const record = await scheduler.store.getTaskExecution(taskExecutionId);
  if (!record) throw new AIFlowError('NOT_FOUND', `task execution ${taskExecutionId} does not exist`);
  return record;
}

async function setWorkflowEnabled(scheduler: RequestTarget, ref: WorkflowRef, enabled: boolean) {
  const workflow = await workflowOf(scheduler, ref);
  await scheduler.store.setWorkflowEnabled(workflow.id, enabled);
  const updated = { ...workflow, enabled };
  await scheduler.catalog.refreshWorkflow(updated);
  return updated;
}

async function setTriggerPaused(scheduler: RequestTarget, triggerId: number, paused: boolean) {
  return scheduler.catalog.setTriggerPaused(await triggerOf(scheduler, triggerId), paused);
}

export const SCHEDULER_HANDLERS: SchedulerHandlers = {
  ...MAINTENANCE_HANDLERS,
  'namespace.add': (s, p) => s.store.addNamespace(p.name),
  'namespace.list': (s) => s.store.listNamespaces(),
  'namespace.delete': async (s, { name }) => {
    if (name === DEFAULT_NAMESPACE)
      throw new AIFlowError('CONFLICT', 'the default namespace cannot be deleted');
    if (!(await s.store.listNamespaces()).some((n) => n.name === name)) {
      throw new AIFlowError('NOT_FOUND', `namespace ${name} does not exist`);
    }
    if ((await s.store.listWorkflows(name)).length > 0) {
      throw new AIFlowError('CONFLICT', `namespace ${name} still has workflows; delete them first`);
    }
    await s.store.deleteNamespace(name);
    return { name };
  },

  'workflow.upload': (s, p) => uploadWorkflows(s, p),
  'workflow.list': (s, p) => s.store.listWorkflows(p.namespace),
  'workflow.show': async (s, p) => {
    const workflow = await workflowOf(s, p);
    const snapshot = await s.store.getSnapshot(workflow.snapshotId);
    return { ...workflow, spec: snapshot?.spec };
  },
  'workflow.enable': (s, p) => setWorkflowEnabled(s, p, true),
  'workflow.disable': (s, p) => setWorkflowEnabled(s, p, false),
  'workflow.delete': async (s, p) => {
    const workflow = await workflowOf(s, p);
    const live = (await s.store.listWorkflowExecutions(workflow.id)).filter((e) =>
      LIVE_WORKFLOW_EXECUTION_STATUSES.has(e.status),
    );
    if (live.length > 0) {
      throw new AIFlowError(
        'CONFLICT',
        `workflow ${workflow.name} has live executions (${live.map((e) => e.id).join(', ')}); stop them first`,
      );
    }
    await s.catalog.forgetWorkflow(workflow);
    await s.store.deleteWorkflow(workflow.id);
    return { namespace: workflow.namespace, name: workflow.name };
  },

  'workflowExecution.start': async (s, p, by) => {
    const workflow = await workflowOf(s, p);
    if (!workflow.enabled) throw new AIFlowError('CONFLICT', `workflow ${workflow.name} is disabled`);
    return { id: await s.startExecution(workflow, 'manual', by) };
  },
  'workflowExecution.stop': async (s, p, by) => {
    await s.stopExecution(p.workflowExecutionId, by);
    return { id: p.workflowExecutionId };
  },
  'workflowExecution.stopAll': async (s, p, by) => {
    const workflow = await workflowOf(s, p);
    const running = (await s.store.listWorkflowExecutions(workflow.id)).filter((e) => e.status === 'running');
    for (const execution of running) await s.stopExecution(execution.id, by);
    return { stopped: running.map((e) => e.id) };
  },
  'workflowExecution.list': async (s, p) => {
    const workflow = await workflowOf(s, p);
    // Without `limit`: every execution, oldest first (as before). With it: a page, newest first.
    if (p.limit === undefined) return s.store.listWorkflowExecutions(workflow.id);
    return s.store.pageWorkflowExecutions(workflow.id, {
      limit: p.limit,
      ...(p.beforeId === undefined ? {} : { beforeId: p.beforeId }),
      ...(p.statuses?.length ? { statuses: p.statuses } : {}),
    });
  },
  'workflowExecution.show': async (s, p) => {
    const execution = await executionOf(s, p.workflowExecutionId);
    return { ...execution, taskExecutions: await s.store.listTaskExecutions(execution.id) };
  },
  'workflowExecution.delete': async (s, p) => {
    const execution = await executionOf(s, p.workflowExecutionId);
    if (LIVE_WORKFLOW_EXECUTION_STATUSES.has(execution.status)) {
      throw new AIFlowError(
        'CONFLICT',
        execution.status === 'stopping'
          ? `workflow execution ${execution.id} is stopping: its tasks have not all exited yet`
          : `workflow execution ${execution.id} is not finished; stop it first`,
      );
    }
    await s.store.deleteWorkflowExecution(execution.id);
    return { id: execution.id };
  },

  'taskExecution.start': async (s, p, by) => {
    const execution = await executionOf(s, p.workflowExecutionId);
    return { id: await s.startTask(execution.id, p.task, by) };
  },
  'taskExecution.stop': async (s, p, by) => {
    const execution = await executionOf(s, p.workflowExecutionId);
    await s.stopTask(execution.id, p.task, by);
    return { workflowExecutionId: execution.id, task: p.task };
  },
  'taskExecution.list': async (s, p) =>
    s.store.listTaskExecutions((await executionOf(s, p.workflowExecutionId)).id),
  'taskExecution.show': async (s, p) => {
    const record = await taskExecutionOf(s, p.taskExecutionId);
    return { ...record, actions: await s.store.listTaskActions(record.id) };
  },
  'taskExecution.logs': async (s, p) => {
    const record = await taskExecutionOf(s, p.taskExecutionId);
    const log = s
      .logFiles(record.id, record.attempt)
      .filter((file) => existsSync(file))
      .map((file) => readFileSync(file, 'utf8'))
      .join('');
    return { taskExecutionId: record.id, log };
  },

  'workflowSchedule.add': async (s, p) => {
    const workflow = await workflowOf(s, p);
    describeSchedule(parseScheduleExpression(p.expression)); // INVALID_SCHEDULE before anything is stored
    return withDescription(await s.catalog.addSchedule(workflow, p.expression));
  },
  'workflowSchedule.list': async (s, p) =>
    (await s.store.listSchedules((await workflowOf(s, p)).id)).map(withDescription),
  'workflowSchedule.show': async (s, p) => withDescription(await scheduleOf(s, p.scheduleId)),
  'workflowSchedule.pause': async (s, p) =>
    withDescription(await s.catalog.pauseSchedule(await scheduleOf(s, p.scheduleId))),
  'workflowSchedule.resume': async (s, p) =>
    withDescription(await s.catalog.resumeSchedule(await scheduleOf(s, p.scheduleId))),
  'workflowSchedule.delete': async (s, p) => {
    const schedule = await scheduleOf(s, p.scheduleId);
    await s.catalog.deleteSchedules([schedule.id]);
    return { id: schedule.id };
  },
  'workflowSchedule.deleteAll': async (s, p) => {
    const schedules = await s.store.listSchedules((await workflowOf(s, p)).id);
    await s.catalog.deleteSchedules(schedules.map((x) => x.id));
    return { deleted: schedules.map((x) => x.id) };
  },

  'workflowTrigger.add': async (s, p) =>
    s.catalog.addTrigger(await workflowOf(s, p), {
      type: 'event',
      key: p.eventKey,
      ...(p.eventValue === undefined ? {} : { value: p.eventValue }),
    }),
  'workflowTrigger.list': async (s, p) => s.store.listTriggers((await workflowOf(s, p)).id),
  'workflowTrigger.show': (s, p) => triggerOf(s, p.triggerId),
  'workflowTrigger.pause': (s, p) => setTriggerPaused(s, p.triggerId, true),
  'workflowTrigger.resume': (s, p) => setTriggerPaused(s, p.triggerId, false),
  'workflowTrigger.delete': async (s, p) => {
    const trigger = await triggerOf(s, p.triggerId);
    await s.catalog.deleteTriggers([trigger.id]);
    return { id: trigger.id };
  },
  'workflowTrigger.deleteAll': async (s, p) => {
    const triggers = await s.store.listTriggers((await workflowOf(s, p)).id);
    await s.catalog.deleteTriggers(triggers.map((x) => x.id));
    return { deleted: triggers.map((x) => x.id) };
  },
};

/**
 * The scheduler's request/reply methods (the CLI and SDK call them through the broker): validated against their
 * declaration, then handed to their handler. `requester`: the MQTT client id of the caller, when the broker
 * forwarded it (recorded as part of the cause of the task actions a request takes).
 */
export async function handleSchedulerRequest(
  scheduler: RequestTarget,
  method: string,
  params: Params,
  requester: { client?: string } = {},
): Promise<unknown> {
  const request = parseRequestParams(method, params);
  if (!isSchedulerMethod(request.method)) {
    throw new AIFlowError('UNKNOWN_METHOD', `unknown method ${JSON.stringify(method)}`);
  }
  const handle = SCHEDULER_HANDLERS[request.method] as (
    scheduler: RequestTarget,
    params: ParsedRequest['params'],
    by: RequestRef,
  ) => Promise<unknown>;
  const by: RequestRef = { method, ...(requester.client === undefined ? {} : { client: requester.client }) };
  return handle(scheduler, request.params, by);
}

async function scheduleOf(scheduler: RequestTarget, scheduleId: number): Promise<ScheduleRecord> {
  const schedule = await scheduler.store.getSchedule(scheduleId);
  if (!schedule) throw new AIFlowError('NOT_FOUND', `workflow schedule ${scheduleId} does not exist`);
  return schedule;
}

async function triggerOf(scheduler: RequestTarget, triggerId: number): Promise<TriggerRecord> {
  const trigger = await scheduler.store.getTrigger(triggerId);
  if (!trigger) throw new AIFlowError('NOT_FOUND', `workflow trigger ${triggerId} does not exist`);
  return trigger;
}

function withDescription(schedule: ScheduleRecord) {
  return { ...schedule, description: describeSchedule(parseScheduleExpression(schedule.expression)) };
}
