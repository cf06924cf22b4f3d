import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { AIFlowError } from '../protocol/errors.ts';
import {
  LIVE_WORKFLOW_EXECUTION_STATUSES,
  WORKFLOW_EXECUTION_STATUSES,
  type WorkflowExecutionStatus,
} from '../protocol/status.ts';
import { DEFAULT_NAMESPACE, validateKey, validateNamespace } from '../protocol/topics.ts';
import { describeSchedule, parseScheduleExpression } from './schedule/expression.ts';
import { loadWorkflowsIsolated } from '../workflow/loader.ts';
import { handleMaintenanceRequest } from './maintenance-requests.ts';
import { snapshotModule } from './snapshot-files.ts';
import type { MetadataStore } from './store/metadata-store.ts';
import type {
  ExecutionPage,
  RunType,
  ScheduleRecord,
  TriggerRecord,
  WorkflowRecord,
} from './store/records.ts';
import type { WorkflowCatalog } from './workflow-catalog.ts';

type Params = Record<string, unknown>;

/** What the request handlers need of the scheduler; each request runs as one unit of work. */
export interface RequestTarget {
  readonly store: MetadataStore;
  readonly catalog: WorkflowCatalog;
  /** Snapshots, uploads and task logs live here. */
  readonly dataDir: string;
  startExecution(workflow: WorkflowRecord, runType: RunType): Promise<number>;
  stopExecution(id: number): Promise<void>;
  startTask(executionId: number, task: string): Promise<number>;
  stopTask(executionId: number, task: string): Promise<void>;
  logFiles(taskExecutionId: number, attempts: number): string[];
}

function isWorkflowExecutionStatus(value: unknown): value is WorkflowExecutionStatus {
  return typeof value === 'string' && (WORKFLOW_EXECUTION_STATUSES as readonly string[]).includes(value);
}

function text(params: Params, name: string, fallback?: string): string {
  const value = params[name] ?? fallback;
  if (typeof value !== 'string' || value === '')
    throw new AIFlowError('INVALID_REQUEST', `${name} must be a non-empty string`);
  return value;
}

function id(params: Params, name: string): number {
  const value = typeof params[name] === 'string' ? Number(params[name]) : params[name];
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new AIFlowError('INVALID_REQUEST', `${name} must be a positive integer`);
  }
  return value as number;
}

async function workflowOf(scheduler: RequestTarget, params: Params): Promise<WorkflowRecord> {
  const namespace = validateNamespace(text(params, 'namespace', DEFAULT_NAMESPACE));
  const name = text(params, 'workflow');
  const workflow = await scheduler.store.getWorkflow(namespace, name);
  if (!workflow) throw new AIFlowError('NOT_FOUND', `workflow ${namespace}.${name} does not exist`);
  return workflow;
}

async function executionOf(scheduler: RequestTarget, params: Params) {
  const executionId = id(params, 'workflowExecutionId');
  const execution = await scheduler.store.getWorkflowExecution(executionId);
  if (!execution) throw new AIFlowError('NOT_FOUND', `workflow execution ${executionId} does not exist`);
  return execution;
}

/** The scheduler's request/reply methods (the CLI and SDK call them through the broker). */
export async function handleSchedulerRequest(
  scheduler: RequestTarget,
  method: string,
  params: Params,
): Promise<unknown> {
  const store = scheduler.store;
  switch (method) {
    case 'namespace.add':
      return store.addNamespace(validateNamespace(text(params, 'name')));
    case 'namespace.list':
      return store.listNamespaces();
    case 'namespace.delete': {
      const name = validateNamespace(text(params, 'name'));
      if (name === DEFAULT_NAMESPACE)
        throw new AIFlowError('CONFLICT', 'the default namespace cannot be deleted');
      if (!(await store.listNamespaces()).some((n) => n.name === name)) {
        throw new AIFlowError('NOT_FOUND', `namespace ${name} does not exist`);
      }
      if ((await store.listWorkflows(name)).length > 0) {
        throw new AIFlowError('CONFLICT', `namespace ${name} still has workflows; delete them first`);
      }
      await store.deleteNamespace(name);
      return { name };
    }

    case 'workflow.upload':
      return upload(scheduler, text(params, 'fileName'), text(params, 'source'));
    case 'workflow.list':
      return store.listWorkflows(validateNamespace(text(params, 'namespace', DEFAULT_NAMESPACE)));
    case 'workflow.show': {
      const workflow = await workflowOf(scheduler, params);
      const snapshot = await store.getSnapshot(workflow.snapshotId);
      return { ...workflow, spec: snapshot?.spec };
    }
    case 'workflow.enable':
    case 'workflow.disable': {
      const workflow = await workflowOf(scheduler, params);
      await store.setWorkflowEnabled(workflow.id, method === 'workflow.enable');
      const updated = { ...workflow, enabled: method === 'workflow.enable' };
      await scheduler.catalog.refreshWorkflow(updated);
      return updated;
    }
    case 'workflow.delete': {
      const workflow = await workflowOf(scheduler, params);
      const live = (await store.listWorkflowExecutions(workflow.id)).filter((e) =>
        LIVE_WORKFLOW_EXECUTION_STATUSES.has(e.status),
      );
      if (live.length > 0) {
        throw new AIFlowError(
          'CONFLICT',
          `workflow ${workflow.name} has live executions (${live.map((e) => e.id).join(', ')}); stop them first`,
        );
      }
      await scheduler.catalog.forgetWorkflow(workflow);
      await store.deleteWorkflow(workflow.id);
      return { namespace: workflow.namespace, name: workflow.name };
    }

    case 'workflowExecution.start': {
      const workflow = await workflowOf(scheduler, params);
      if (!workflow.enabled) throw new AIFlowError('CONFLICT', `workflow ${workflow.name} is disabled`);
      return { id: await scheduler.startExecution(workflow, 'manual') };
    }
    case 'workflowExecution.stop':
      await scheduler.stopExecution(id(params, 'workflowExecutionId'));
      return { id: id(params, 'workflowExecutionId') };
    case 'workflowExecution.stopAll': {
      const workflow = await workflowOf(scheduler, params);
      const running = (await store.listWorkflowExecutions(workflow.id)).filter((e) => e.status === 'running');
      for (const execution of running) await scheduler.stopExecution(execution.id);
      return { stopped: running.map((e) => e.id) };
    }
    case 'workflowExecution.list': {
      const workflow = await workflowOf(scheduler, params);
      // Without `limit`: every execution, oldest first (as before). With it: a page, newest first.
      return params.limit === undefined
        ? store.listWorkflowExecutions(workflow.id)
        : store.pageWorkflowExecutions(workflow.id, executionPage(params));
    }
    case 'workflowExecution.show': {
      const execution = await executionOf(scheduler, params);
      return { ...execution, taskExecutions: await store.listTaskExecutions(execution.id) };
    }
    case 'workflowExecution.delete': {
      const execution = await executionOf(scheduler, params);
      if (LIVE_WORKFLOW_EXECUTION_STATUSES.has(execution.status)) {
        throw new AIFlowError(
          'CONFLICT',
          execution.status === 'stopping'
            ? `workflow execution ${execution.id} is stopping: its tasks have not all exited yet`
            : `workflow execution ${execution.id} is not finished; stop it first`,
        );
      }
      await store.deleteWorkflowExecution(execution.id);
      return { id: execution.id };
    }

    case 'taskExecution.start': {
      const execution = await executionOf(scheduler, params);
      return { id: await scheduler.startTask(execution.id, text(params, 'task')) };
    }
    case 'taskExecution.stop': {
      const execution = await executionOf(scheduler, params);
      await scheduler.stopTask(execution.id, text(params, 'task'));
      return { workflowExecutionId: execution.id, task: text(params, 'task') };
    }
    case 'taskExecution.list':
      return store.listTaskExecutions((await executionOf(scheduler, params)).id);
    case 'taskExecution.show':
    case 'taskExecution.logs': {
      const taskExecutionId = id(params, 'taskExecutionId');
      const record = await store.getTaskExecution(taskExecutionId);
      if (!record) throw new AIFlowError('NOT_FOUND', `task execution ${taskExecutionId} does not exist`);
      if (method === 'taskExecution.show') return record;
      const log = scheduler
        .logFiles(record.id, record.attempt)
        .filter((file) => existsSync(file))
        .map((file) => readFileSync(file, 'utf8'))
        .join('');
      return { taskExecutionId: record.id, log };
    }
    case 'workflowSchedule.add': {
      const workflow = await workflowOf(scheduler, params);
      const expression = text(params, 'expression');
      describeSchedule(parseScheduleExpression(expression)); // INVALID_SCHEDULE before anything is stored
      return withDescription(await scheduler.catalog.addSchedule(workflow, expression));
    }
    case 'workflowSchedule.list':
      return (await store.listSchedules((await workflowOf(scheduler, params)).id)).map(withDescription);
    case 'workflowSchedule.show':
      return withDescription(await scheduleOf(scheduler, params));
    case 'workflowSchedule.pause':
      return withDescription(await scheduler.catalog.pauseSchedule(await scheduleOf(scheduler, params)));
    case 'workflowSchedule.resume':
      return withDescription(await scheduler.catalog.resumeSchedule(await scheduleOf(scheduler, params)));
    case 'workflowSchedule.delete': {
      const schedule = await scheduleOf(scheduler, params);
      await scheduler.catalog.deleteSchedules([schedule.id]);
      return { id: schedule.id };
    }
    case 'workflowSchedule.deleteAll': {
      const schedules = await store.listSchedules((await workflowOf(scheduler, params)).id);
      await scheduler.catalog.deleteSchedules(schedules.map((x) => x.id));
      return { deleted: schedules.map((x) => x.id) };
    }

    case 'workflowTrigger.add': {
      const workflow = await workflowOf(scheduler, params);
      const key = validateKey(text(params, 'eventKey'));
      const value = params.eventValue === undefined ? undefined : text(params, 'eventValue');
      return scheduler.catalog.addTrigger(workflow, {
        type: 'event',
        key,
        ...(value === undefined ? {} : { value }),
      });
    }
    case 'workflowTrigger.list':
      return store.listTriggers((await workflowOf(scheduler, params)).id);
    case 'workflowTrigger.show':
      return triggerOf(scheduler, params);
    case 'workflowTrigger.pause':
    case 'workflowTrigger.resume':
      return scheduler.catalog.setTriggerPaused(
        await triggerOf(scheduler, params),
        method === 'workflowTrigger.pause',
      );
    case 'workflowTrigger.delete': {
      const trigger = await triggerOf(scheduler, params);
      await scheduler.catalog.deleteTriggers([trigger.id]);
      return { id: trigger.id };
    }
    case 'workflowTrigger.deleteAll': {
      const triggers = await store.listTriggers((await workflowOf(scheduler, params)).id);
      await scheduler.catalog.deleteTriggers(triggers.map((x) => x.id));
      return { deleted: triggers.map((x) => x.id) };
    }
    default: {
      const maintenance = handleMaintenanceRequest(scheduler, method, params);
      if (maintenance) return maintenance;
      throw new AIFlowError('UNKNOWN_METHOD', `unknown method ${JSON.stringify(method)}`);
    }
  }
}

/** Largest `limit` of `workflowExecution.list`: a page of 1,000 records stays far below the packet limit. */
const MAX_EXECUTION_PAGE = 1_000;

function executionPage(params: Params): ExecutionPage {
  const limit = params.limit;
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_EXECUTION_PAGE) {
    throw new AIFlowError('INVALID_REQUEST', `limit must be an integer from 1 to ${MAX_EXECUTION_PAGE}`);
  }
  const statuses = params.statuses ?? [];
  if (!Array.isArray(statuses) || !statuses.every((s) => isWorkflowExecutionStatus(s))) {
    throw new AIFlowError(
      'INVALID_REQUEST',
      `statuses must be a list of ${WORKFLOW_EXECUTION_STATUSES.join(', ')}`,
    );
  }
  return {
    limit: limit as number,
    ...(params.beforeId === undefined ? {} : { beforeId: id(params, 'beforeId') }),
    ...(statuses.length ? { statuses } : {}),
  };
}

async function scheduleOf(scheduler: RequestTarget, params: Params): Promise<ScheduleRecord> {
  const scheduleId = id(params, 'scheduleId');
  const schedule = await scheduler.store.getSchedule(scheduleId);
  if (!schedule) throw new AIFlowError('NOT_FOUND', `workflow schedule ${scheduleId} does not exist`);
  return schedule;
}

async function triggerOf(scheduler: RequestTarget, params: Params): Promise<TriggerRecord> {
  const triggerId = id(params, 'triggerId');
  const trigger = await scheduler.store.getTrigger(triggerId);
  if (!trigger) throw new AIFlowError('NOT_FOUND', `workflow trigger ${triggerId} does not exist`);
  return trigger;
}

function withDescription(schedule: ScheduleRecord) {
  return { ...schedule, description: describeSchedule(parseScheduleExpression(schedule.expression)) };
}

/** Loads the module in an isolated process (never in the scheduler), then stores one snapshot per workflow. */
async function upload(scheduler: RequestTarget, fileName: string, source: string) {
  const dir = join(scheduler.dataDir, 'uploads', randomUUID());
  mkdirSync(dir, { recursive: true });
  // Under the data folder, so the module's `import 'aiflow-mqtt/workflow'` resolves as it will for tasks.
  snapshotModule(scheduler.dataDir, { id: 0, fileName: 'link.ts', source: '' });
  const file = join(dir, basename(fileName));
  writeFileSync(file, source);
  try {
    const specs = await loadWorkflowsIsolated(file);
    const namespaces = new Set((await scheduler.store.listNamespaces()).map((n) => n.name));
    for (const spec of specs) {
      if (!namespaces.has(spec.namespace)) {
        throw new AIFlowError(
          'NOT_FOUND',
          `namespace ${spec.namespace} of workflow ${spec.name} does not exist; add it with \`aiflow namespace add ${spec.namespace}\``,
        );
      }
    }
    const saved = [];
    for (const spec of specs) {
      const { workflow, snapshot } = await scheduler.store.saveUpload({
        fileName: basename(fileName),
        source,
        spec,
      });
      await scheduler.catalog.replaceModuleTriggers(workflow, spec.triggers ?? []);
      saved.push({
        namespace: workflow.namespace,
        name: workflow.name,
        workflowId: workflow.id,
        snapshotId: snapshot.id,
        tasks: spec.tasks.length,
      });
    }
    return saved;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
