import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { AIFlowError } from '../protocol/errors.ts';
import { DEFAULT_NAMESPACE, validateNamespace } from '../protocol/topics.ts';
import { loadWorkflowsIsolated } from '../workflow/loader.ts';
import type { Scheduler } from './scheduler.ts';
import { snapshotModule } from './snapshot-files.ts';
import type { WorkflowRecord } from './store/records.ts';

type Params = Record<string, unknown>;

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

async function workflowOf(scheduler: Scheduler, params: Params): Promise<WorkflowRecord> {
  const namespace = validateNamespace(text(params, 'namespace', DEFAULT_NAMESPACE));
  const name = text(params, 'workflow');
  const workflow = await scheduler.store.getWorkflow(namespace, name);
  if (!workflow) throw new AIFlowError('NOT_FOUND', `workflow ${namespace}.${name} does not exist`);
  return workflow;
}

async function executionOf(scheduler: Scheduler, params: Params) {
  const executionId = id(params, 'workflowExecutionId');
  const execution = await scheduler.store.getWorkflowExecution(executionId);
  if (!execution) throw new AIFlowError('NOT_FOUND', `workflow execution ${executionId} does not exist`);
  return execution;
}

/** The scheduler's request/reply methods (the CLI and SDK call them through the broker). */
export async function handleSchedulerRequest(
  scheduler: Scheduler,
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
      return { ...workflow, enabled: method === 'workflow.enable' };
    }
    case 'workflow.delete': {
      const workflow = await workflowOf(scheduler, params);
      const running = (await store.listWorkflowExecutions(workflow.id)).filter((e) => e.status === 'running');
      if (running.length > 0) {
        throw new AIFlowError(
          'CONFLICT',
          `workflow ${workflow.name} has running executions (${running.map((e) => e.id).join(', ')}); stop them first`,
        );
      }
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
    case 'workflowExecution.list':
      return store.listWorkflowExecutions((await workflowOf(scheduler, params)).id);
    case 'workflowExecution.show': {
      const execution = await executionOf(scheduler, params);
      return { ...execution, taskExecutions: await store.listTaskExecutions(execution.id) };
    }
    case 'workflowExecution.delete': {
      const execution = await executionOf(scheduler, params);
      if (execution.status === 'running' || execution.status === 'init') {
        throw new AIFlowError(
          'CONFLICT',
          `workflow execution ${execution.id} is not finished; stop it first`,
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
    default:
      throw new AIFlowError('UNKNOWN_METHOD', `unknown method ${JSON.stringify(method)}`);
  }
}

/** Loads the module in an isolated process (never in the scheduler), then stores one snapshot per workflow. */
async function upload(scheduler: Scheduler, fileName: string, source: string) {
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
