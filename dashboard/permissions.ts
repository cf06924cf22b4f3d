import { mayAct, type Caller, type Role } from '../protocol/roles.ts';

/** What `access.whoami` answers: who the connection acts as, with its grants. */
export interface WhoAmI extends Caller {
  clientId: string;
}

/**
 * What the caller may do, from `access.whoami`: pages leave out the actions it may not take (every action they offer
 * needs `operator` in the workflow's namespace; README "Security"). The server decides in the end (a refusal is
 * shown as FORBIDDEN); this only spares a click that cannot succeed.
 */
export class Permissions {
  readonly whoami: WhoAmI | null;

  constructor(whoami: WhoAmI | null) {
    this.whoami = whoami;
  }

  /** Whether the caller holds `role` in `namespace`; true when not known (an older server). */
  allows(role: Role, namespace: string): boolean {
    return this.whoami === null || mayAct(this.whoami, role, namespace);
  }

  /** The name to show, or null when access control is off (the server names the caller after its client id). */
  get name(): string | null {
    return this.whoami === null || this.whoami.name === this.whoami.clientId ? null : this.whoami.name;
  }
}
