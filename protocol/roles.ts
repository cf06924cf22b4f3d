/**
 * The roles, lowest first: each includes the ones before it (see `access-roles.ts`), and the check of a caller's
 * grants: no dependency, so the dashboard bundles it without the request declarations.
 */
export const ROLES = ['viewer', 'publisher', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Every namespace. */
export const ANY_NAMESPACE = '*';

export interface Grant {
  role: Role;
  /** A namespace, or `*` for every namespace. */
  namespace: string;
}

/** An authenticated identity and what it may do. */
export interface Caller {
  /** The user, token or task name: what `sender` and the audit trail show. */
  name: string;
  grants: readonly Grant[];
  /** A task's login: the one workflow execution whose context it may name in the events it sends. */
  workflowExecutionId?: number;
}

function rank(role: Role): number {
  return ROLES.indexOf(role);
}

/** Whether `caller` holds `needed` (or a higher role) in `namespace`; `null` asks for every namespace. */
export function mayAct(caller: Caller, needed: Role, namespace: string | null): boolean {
  return caller.grants.some(
    (grant) =>
      rank(grant.role) >= rank(needed) &&
      (grant.namespace === ANY_NAMESPACE || (namespace !== null && grant.namespace === namespace)),
  );
}
