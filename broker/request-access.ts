import { ANY_NAMESPACE, mayAct, METHOD_ROLES, requireRole, type Caller } from '../protocol/access-roles.ts';
import { AIFlowError } from '../protocol/errors.ts';
import type { EventFilter, RpcRequest } from '../protocol/rpc.ts';
import { contextWorkflowExecutionId } from '../protocol/status-events.ts';

/**
 * Checks a request the broker serves itself against `METHOD_ROLES`, in the namespace its params name; returns it,
 * narrowed where needed. A listing or count without a namespace needs `viewer@*`; a caller whose grants name one
 * namespace only gets that namespace's events instead (so `aiflow event list` works for a device token); with several
 * it must name one. `access.whoami` is for anyone; methods without a namespace (prune, users, tokens) need their
 * role in every namespace.
 */
export function authorizeBrokerRequest(caller: Caller, request: RpcRequest): RpcRequest {
  const { method } = request;
  if (method === 'access.whoami') return request;
  const role = METHOD_ROLES[method];
  if (role === undefined) throw new AIFlowError('FORBIDDEN', `${method} is not open to clients`);
  const action = `call ${method}`;
  switch (method) {
    case 'events.send': {
      const params = request.params as { namespace: string; context?: string | null };
      requireRole(caller, role, params.namespace, action);
      requireContextRight(caller, params.namespace, params.context ?? null);
      return request;
    }
    case 'events.sendBatch':
      for (const event of (request.params as { events: { namespace: string; context?: string | null }[] })
        .events) {
        requireRole(caller, role, event.namespace, action);
        requireContextRight(caller, event.namespace, event.context ?? null);
      }
      return request;
    case 'events.list':
    case 'events.count': {
      const filter = request.params as EventFilter;
      if (filter.namespace !== undefined || mayAct(caller, role, null)) {
        requireRole(caller, role, filter.namespace ?? null, action);
        return request;
      }
      const namespaces = new Set(caller.grants.map((grant) => grant.namespace));
      const [only] = namespaces;
      if (namespaces.size !== 1 || only === undefined || only === ANY_NAMESPACE) {
        throw new AIFlowError(
          'FORBIDDEN',
          `${caller.name} may not ${action} across every namespace (needs ${role}@*); name a namespace`,
        );
      }
      requireRole(caller, role, only, action);
      return { ...request, params: { ...filter, namespace: only } } as RpcRequest;
    }
    case 'events.timeToOffset':
      // An offset says nothing about any namespace: any role in any namespace may ask.
      if (caller.grants.length === 0) requireRole(caller, role, null, action);
      return request;
    default:
      requireRole(caller, role, null, action);
      return request;
  }
}

/**
 * The scheduler routes an event whose context names a workflow execution to that execution only, so naming one is
 * acting on it: only that execution's own task login, or an operator of the namespace (the scheduler included), may.
 */
export function requireContextRight(caller: Caller, namespace: string, context: string | null): void {
  const execution = contextWorkflowExecutionId(context);
  if (execution === undefined || caller.workflowExecutionId === execution) return;
  if (mayAct(caller, 'operator', namespace)) return;
  throw new AIFlowError(
    'FORBIDDEN',
    `${caller.name} may not send events in the context of workflow execution ${execution}`,
  );
}
