import { mayAct, METHOD_ROLES, requireRole, type Caller } from '../protocol/access-roles.ts';
import type { RequestTarget } from './requests.ts';
import { requestNamespace } from './request-namespace.ts';
import type { NamespaceRecord } from './store/records.ts';

type Params = Record<string, unknown>;

/**
 * Runs a forwarded request for `caller` (who the broker says asked): checks the role `METHOD_ROLES` gives the method
 * in the namespace it acts on, then runs it; `namespace.list` answers only the namespaces the caller may view.
 * Refusals throw FORBIDDEN. A method not in the table needs `admin` (the method itself then answers
 * UNKNOWN_METHOD).
 *
 * Per-task credentials would plug in here: a task's caller would carry its execution, checked against `params`.
 */
export async function runAuthorized(
  target: RequestTarget,
  caller: Caller,
  method: string,
  params: Params,
  run: () => Promise<unknown>,
): Promise<unknown> {
  const role = METHOD_ROLES[method] ?? 'admin';
  const action = `call ${method}`;
  if (method === 'namespace.list') {
    const namespaces = (await run()) as NamespaceRecord[];
    return namespaces.filter((namespace) => mayAct(caller, role, namespace.name));
  }
  const namespace = await requestNamespace(target.store, method, params);
  if (namespace !== undefined) requireRole(caller, role, namespace, action);
  else if (!mayAct(caller, role, null)) {
    // Nothing to resolve against: the caller must hold the role somewhere for the method to say NOT_FOUND.
    const holdsSomewhere = caller.grants.some((grant) =>
      mayAct({ ...caller, grants: [grant] }, role, grant.namespace),
    );
    if (!holdsSomewhere) requireRole(caller, role, null, action);
  }
  return run();
}
