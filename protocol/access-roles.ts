import { AIFlowError } from './errors.ts';
import { ANY_NAMESPACE, mayAct, ROLES, type Caller, type Grant, type Role } from './roles.ts';
import { REQUEST_METHODS } from './request-methods.ts';

/**
 * Who may do what. A role is held per namespace (or in every namespace, `*`); each role includes the ones before it:
 * `viewer` reads events, statuses, lists and logs; `publisher` also sends events; `operator` also starts and stops
 * executions and tasks and manages schedules and triggers; `admin` also uploads and deletes workflows and namespaces
 * and manages users, tokens and the server.
 */
export { ANY_NAMESPACE, mayAct, ROLES, type Caller, type Grant, type Role } from './roles.ts';

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Throws `FORBIDDEN: <who> may not <action> in <namespace>` unless `caller` holds `needed` there. */
export function requireRole(caller: Caller, needed: Role, namespace: string | null, action: string): void {
  if (mayAct(caller, needed, namespace)) return;
  const where = namespace === null ? 'on this server' : `in namespace ${namespace}`;
  throw new AIFlowError('FORBIDDEN', `${caller.name} may not ${action} ${where} (needs ${needed})`);
}

/** Parses `role@namespace` (`operator@plant-1`, `viewer@*`); a bare role holds in every namespace. */
export function parseGrant(text: string): Grant {
  const [role, namespace = ANY_NAMESPACE, ...rest] = text.split('@');
  if (!isRole(role) || rest.length > 0 || namespace === '') {
    throw new AIFlowError(
      'INVALID_OPTION',
      `"${text}" is not a grant: expected <role>@<namespace>, role one of ${ROLES.join(', ')}`,
    );
  }
  return { role, namespace };
}

export function formatGrant(grant: Grant): string {
  return `${grant.role}@${grant.namespace}`;
}

/**
 * The role each request method needs, in the namespace it acts on (for methods that name an execution, schedule
 * or trigger by id: the namespace of its workflow). Methods not listed are refused. Taken from the declarations in
 * `request-methods.ts`.
 */
export const METHOD_ROLES: Readonly<Record<string, Role>> = Object.fromEntries(
  Object.entries(REQUEST_METHODS).map(([method, declaration]) => [method, declaration.role]),
);
