import { mayAct, METHOD_ROLES, type Caller } from '../protocol/access-roles.ts';

/** What `access.whoami` answers: who the connection acts as, with its grants. */
export interface WhoAmI extends Caller {
  clientId: string;
}

/**
 * What the caller may do, from `access.whoami`: pages hide the actions it may not take. The server decides in the
 * end (a refusal is shown as FORBIDDEN); this only spares a click that cannot succeed.
 */
export class Permissions {
  readonly whoami: WhoAmI | null;

  constructor(whoami: WhoAmI | null) {
    this.whoami = whoami;
  }

  /** Whether `method` is open to the caller in `namespace`; true when not known (an older server). */
  allows(method: string, namespace: string): boolean {
    const role = METHOD_ROLES[method];
    return this.whoami === null || role === undefined || mayAct(this.whoami, role, namespace);
  }

  /** The name to show, or null when access control is off (the server names the caller after its client id). */
  get name(): string | null {
    return this.whoami === null || this.whoami.name === this.whoami.clientId ? null : this.whoami.name;
  }
}
