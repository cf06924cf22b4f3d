import { DEFAULT_NAMESPACE } from '../protocol/topics.ts';
import type { MetadataStore } from './store/metadata-store.ts';

type Params = Record<string, unknown>;

/**
 * The namespace a scheduler method acts on, for the access check:
 * - a string: that namespace (from `namespace`, or the workflow of the execution, task execution, schedule or
 *   trigger the params name by id);
 * - `null`: the method spans namespaces (an upload, whose namespaces are known only once the module is loaded;
 *   a prune; a listing of namespaces);
 * - `undefined`: the id names nothing (or is malformed): the method itself answers NOT_FOUND or INVALID_REQUEST.
 */
export async function requestNamespace(
  store: MetadataStore,
  method: string,
  params: Params,
): Promise<string | null | undefined> {
  const [resource, action] = method.split('.');
  if (resource === 'namespace') return action === 'list' ? null : textParam(params, 'name');
  if (method === 'workflow.upload' || method === 'workflowExecution.prune') return null;
  // By the id the method itself reads (requests.ts), never by another param a client adds.
  switch (BY_ID[method]) {
    case 'workflowExecutionId':
      return executionNamespace(store, idParam(params, 'workflowExecutionId'));
    case 'taskExecutionId': {
      const id = idParam(params, 'taskExecutionId');
      const task = id === undefined ? undefined : await store.getTaskExecution(id);
      return task && executionNamespace(store, task.workflowExecutionId);
    }
    case 'scheduleId': {
      const id = idParam(params, 'scheduleId');
      const schedule = id === undefined ? undefined : await store.getSchedule(id);
      return schedule && namespaceOfWorkflow(store, schedule.workflowId);
    }
    case 'triggerId': {
      const id = idParam(params, 'triggerId');
      const trigger = id === undefined ? undefined : await store.getTrigger(id);
      return trigger && namespaceOfWorkflow(store, trigger.workflowId);
    }
  }
  return textParam(params, 'namespace') ?? DEFAULT_NAMESPACE;
}

/** Methods that name what they act on by id, and which id. */
const BY_ID: Readonly<
  Record<string, 'workflowExecutionId' | 'taskExecutionId' | 'scheduleId' | 'triggerId'>
> = {
  'workflowExecution.stop': 'workflowExecutionId',
  'workflowExecution.show': 'workflowExecutionId',
  'workflowExecution.delete': 'workflowExecutionId',
  'taskExecution.start': 'workflowExecutionId',
  'taskExecution.stop': 'workflowExecutionId',
  'taskExecution.list': 'workflowExecutionId',
  'taskExecution.show': 'taskExecutionId',
  'taskExecution.logs': 'taskExecutionId',
  'taskExecution.readLog': 'taskExecutionId',
  'workflowSchedule.show': 'scheduleId',
  'workflowSchedule.pause': 'scheduleId',
  'workflowSchedule.resume': 'scheduleId',
  'workflowSchedule.delete': 'scheduleId',
  'workflowTrigger.show': 'triggerId',
  'workflowTrigger.pause': 'triggerId',
  'workflowTrigger.resume': 'triggerId',
  'workflowTrigger.delete': 'triggerId',
};

async function executionNamespace(store: MetadataStore, id: number | undefined): Promise<string | undefined> {
  return id === undefined ? undefined : (await store.getWorkflowExecution(id))?.namespace;
}

/** The store finds workflows by name only; schedules and triggers are few, and this runs once per request. */
async function namespaceOfWorkflow(store: MetadataStore, workflowId: number): Promise<string | undefined> {
  for (const namespace of await store.listNamespaces()) {
    if ((await store.listWorkflows(namespace.name)).some((w) => w.id === workflowId)) return namespace.name;
  }
  return undefined;
}

function textParam(params: Params, name: string): string | undefined {
  const value = params[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function idParam(params: Params, name: string): number | undefined {
  const raw = params[name];
  const value = typeof raw === 'string' ? Number(raw) : raw;
  return Number.isSafeInteger(value) && (value as number) > 0 ? (value as number) : undefined;
}
