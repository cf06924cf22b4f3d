import { timingSafeEqual } from 'node:crypto';
import type { Client } from 'aedes';
import { ANY_NAMESPACE, type Caller, type Grant } from '../protocol/access-roles.ts';
import { parseSchedulerPassword } from '../protocol/scheduler-credential.ts';
import { parseTaskUsername, taskCaller, taskPasswordMatches } from '../protocol/task-credential.ts';
import { SCHEDULER_USERNAME } from '../protocol/topics.ts';
import type { IdentityStore } from './identity-store.ts';
import { clientCertificateName } from './client-certificate.ts';

/** The current fencing token of the scheduler lease; null when no scheduler holds it. */
export type SchedulerLeaseSource = () => Promise<number | null>;

/** `returnCode` is the CONNACK code of a refusal: 4 bad user name or password, 5 not authorized. */
export type Authentication = { accepted: true } | { accepted: false; reason: string; returnCode: 4 | 5 };

/** Who may connect, when access control is on. */
export interface AccessPolicy {
  /** Users and tokens. */
  identities: IdentityStore;
  /** Grants of a client that connects without a user name; null refuses it. */
  anonymous: readonly Grant[] | null;
  /** Most connections one identity may hold at once. */
  maxConnectionsPerIdentity: number;
}

/** The name anonymous clients act under (and that `sender` shows). */
export const ANONYMOUS_NAME = 'anonymous';
const EVERYTHING: readonly Grant[] = [{ role: 'admin', namespace: ANY_NAMESPACE }];
const SCHEDULER_CALLER: Caller = { name: SCHEDULER_USERNAME, grants: EVERYTHING };

/**
 * Who may connect, and as whom. The scheduler authenticates with the server's scheduler token and may then send
 * status events (reserved `$` keys), read forwarded requests and answer on reply topics. Every other client gets a
 * `Caller` (name + grants) from its login: a user, a token, or the anonymous grants; without a policy (an embedded
 * broker with access control off) every client acts with every right under its client id.
 *
 * With a lease source, the scheduler's password also carries its lease's fencing token (`<token>:<secret>`), and
 * only the current token is accepted: a scheduler replaced after its lease expired is refused, and a newer
 * scheduler's login cuts the connections of older ones.
 */
export class BrokerAccess {
  readonly #secret: Buffer | null;
  readonly #taskKey: string | null;
  readonly #lease: SchedulerLeaseSource | null;
  readonly #policy: AccessPolicy | null;
  readonly #privileged = new WeakSet<Client>();
  readonly #fencingTokens = new Map<Client, number>();
  readonly #schedulers = new Set<Client>();
  readonly #callers = new WeakMap<Client, Caller>();
  /** Registered connections per identity name. */
  readonly #connections = new Map<string, number>();

  constructor(
    schedulerToken: string | null,
    lease: SchedulerLeaseSource | null = null,
    policy: AccessPolicy | null = null,
    taskKey: string | null = schedulerToken,
  ) {
    this.#secret = schedulerToken === null ? null : Buffer.from(schedulerToken);
    this.#taskKey = taskKey;
    this.#lease = lease;
    this.#policy = policy;
  }

  /** Access control is on: callers are users, tokens or anonymous, and senders are stamped. */
  get enforced(): boolean {
    return this.#policy !== null;
  }

  /**
   * Checks a CONNECT. `holder` is the connected client that already uses this client id, if any: a client of
   * another identity may not take its session over.
   */
  async authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    holder?: Client,
  ): Promise<Authentication> {
    if (username === SCHEDULER_USERNAME) return this.#authenticateScheduler(client, password);
    const caller = await this.#identify(client, username, password);
    if ('refused' in caller) return { accepted: false, reason: caller.refused, returnCode: 5 };
    const held = holder && holder !== client ? this.#callers.get(holder) : undefined;
    if (held && held.name !== caller.name) {
      return {
        accepted: false,
        reason: `client id ${client.id} is held by ${held.name}; ${caller.name} may not take it over`,
        returnCode: 5,
      };
    }
    const limit = this.#policy?.maxConnectionsPerIdentity ?? Infinity;
    if ((this.#connections.get(caller.name) ?? 0) >= limit && !held) {
      return {
        accepted: false,
        reason: `${caller.name} already holds ${limit} connections (the limit per identity)`,
        returnCode: 5,
      };
    }
    this.#callers.set(client, caller);
    return { accepted: true };
  }

  /** Who a connected client acts as. */
  callerOf(client: Client): Caller {
    return this.#callers.get(client) ?? { name: client.id, grants: [] };
  }

  isPrivileged(client: Client | null): boolean {
    return client !== null && this.#privileged.has(client);
  }

  schedulerSubscribed(client: Client): void {
    this.#schedulers.add(client);
  }

  /** A connection was registered (CONNACK sent). */
  clientReady(client: Client): void {
    const name = this.#callers.get(client)?.name;
    if (name !== undefined) this.#connections.set(name, (this.#connections.get(name) ?? 0) + 1);
  }

  clientGone(client: Client): void {
    this.#schedulers.delete(client);
    this.#fencingTokens.delete(client);
    const name = this.#callers.get(client)?.name;
    if (name === undefined) return;
    const count = (this.#connections.get(name) ?? 1) - 1;
    if (count > 0) this.#connections.set(name, count);
    else this.#connections.delete(name);
  }

  /** A scheduler is connected and listening for requests. */
  get schedulerOnline(): boolean {
    return this.#schedulers.size > 0;
  }

  async #identify(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<Caller | { refused: string }> {
    const policy = this.#policy;
    if (policy === null) return { name: client.id, grants: EVERYTHING };
    if (username === undefined || username === '') {
      // A client certificate the TLS listener verified names its user: no password needed.
      // One whose name is not a user's connects as anonymous clients do.
      const certified = clientCertificateName(client);
      const user = certified === null ? null : policy.identities.certifiedUser(certified);
      if (user) return user;
      if (policy.anonymous === null) return { refused: 'anonymous connections are not allowed' };
      return { name: ANONYMOUS_NAME, grants: policy.anonymous };
    }
    if (password === undefined) return { refused: `no password given for ${username}` };
    const task = parseTaskUsername(username);
    if (task) {
      // A task's login is derived from the task key (see task-credential.ts): checked by deriving it again.
      const valid =
        this.#taskKey !== null && taskPasswordMatches(this.#taskKey, username, password.toString());
      return valid ? taskCaller(task) : { refused: `wrong task credential for ${username}` };
    }
    const caller = await policy.identities.verify(username, password.toString());
    return caller ?? { refused: `wrong user name or password for ${username}` };
  }

  async #authenticateScheduler(client: Client, password: Buffer | undefined): Promise<Authentication> {
    const refused = (reason: string): Authentication => ({ accepted: false, reason, returnCode: 4 });
    if (this.#secret === null || password === undefined) return refused('wrong scheduler credentials');
    if (this.#lease === null) {
      return this.#secretMatches(password)
        ? this.#admit(client, null)
        : refused('wrong scheduler credentials');
    }
    const credential = parseSchedulerPassword(password.toString());
    if (!credential || !this.#secretMatches(Buffer.from(credential.secret))) {
      return refused('wrong scheduler credentials');
    }
    const current = await this.#lease();
    if (credential.fencingToken !== current) {
      return refused(`stale scheduler lease: token ${credential.fencingToken}, current ${current ?? 'none'}`);
    }
    return this.#admit(client, credential.fencingToken);
  }

  #secretMatches(candidate: Buffer): boolean {
    return (
      this.#secret !== null &&
      candidate.length === this.#secret.length &&
      timingSafeEqual(candidate, this.#secret)
    );
  }

  #admit(client: Client, fencingToken: number | null): Authentication {
    if (fencingToken !== null) {
      // Fencing: whatever an older lease holder still has open loses its rights now.
      for (const [other, token] of this.#fencingTokens) {
        if (token >= fencingToken) continue;
        this.#privileged.delete(other);
        this.#schedulers.delete(other);
        this.#fencingTokens.delete(other);
        other.close();
      }
      this.#fencingTokens.set(client, fencingToken);
    }
    this.#privileged.add(client);
    this.#callers.set(client, SCHEDULER_CALLER);
    return { accepted: true };
  }
}
