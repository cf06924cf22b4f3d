import { timingSafeEqual } from 'node:crypto';
import type { Client } from 'aedes';
import { parseSchedulerPassword } from '../protocol/scheduler-credential.ts';
import { SCHEDULER_USERNAME } from '../protocol/topics.ts';

/** The current fencing token of the scheduler lease; null when no scheduler holds it. */
export type SchedulerLeaseSource = () => Promise<number | null>;

export type Authentication = { accepted: true } | { accepted: false; reason: string };

/**
 * Who may do what: the scheduler authenticates with the server's scheduler token and may then send status events
 * (reserved `$` keys), read forwarded requests and answer on reply topics. Everyone else is an ordinary client.
 *
 * With a lease source, the scheduler's password also carries its lease's fencing token (`<token>:<secret>`), and
 * only the current token is accepted: a scheduler replaced after its lease expired is refused, and a newer
 * scheduler's login cuts the connections of older ones.
 */
export class BrokerAccess {
  readonly #secret: Buffer | null;
  readonly #lease: SchedulerLeaseSource | null;
  readonly #privileged = new WeakSet<Client>();
  readonly #fencingTokens = new Map<Client, number>();
  readonly #schedulers = new Set<Client>();

  constructor(schedulerToken: string | null, lease: SchedulerLeaseSource | null = null) {
    this.#secret = schedulerToken === null ? null : Buffer.from(schedulerToken);
    this.#lease = lease;
  }

  /** Ordinary users always pass; the scheduler user needs the right secret (and the current fencing token). */
  async authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<Authentication> {
    if (username !== SCHEDULER_USERNAME) return { accepted: true };
    const refused = (reason: string): Authentication => ({ accepted: false, reason });
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

  isPrivileged(client: Client | null): boolean {
    return client !== null && this.#privileged.has(client);
  }

  schedulerSubscribed(client: Client): void {
    this.#schedulers.add(client);
  }

  clientGone(client: Client): void {
    this.#schedulers.delete(client);
    this.#fencingTokens.delete(client);
  }

  /** A scheduler is connected and listening for requests. */
  get schedulerOnline(): boolean {
    return this.#schedulers.size > 0;
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
    return { accepted: true };
  }
}
