import { timingSafeEqual } from 'node:crypto';
import type { Client } from 'aedes';
import { SCHEDULER_USERNAME } from '../protocol/topics.ts';

/**
 * Who may do what: the scheduler authenticates with the server's scheduler token and may then send status events
 * (reserved `$` keys), read forwarded requests and answer on reply topics. Everyone else is an ordinary client.
 */
export class BrokerAccess {
  readonly #token: Buffer | null;
  readonly #privileged = new WeakSet<Client>();
  readonly #schedulers = new Set<Client>();

  constructor(schedulerToken: string | null) {
    this.#token = schedulerToken === null ? null : Buffer.from(schedulerToken);
  }

  /** Returns false for a wrong scheduler password; marks the client privileged for the right one. */
  authenticate(client: Client, username: string | undefined, password: Buffer | undefined): boolean {
    if (username !== SCHEDULER_USERNAME) return true;
    const ok =
      this.#token !== null &&
      password !== undefined &&
      password.length === this.#token.length &&
      timingSafeEqual(password, this.#token);
    if (ok) this.#privileged.add(client);
    return ok;
  }

  isPrivileged(client: Client | null): boolean {
    return client !== null && this.#privileged.has(client);
  }

  schedulerSubscribed(client: Client): void {
    this.#schedulers.add(client);
  }

  clientGone(client: Client): void {
    this.#schedulers.delete(client);
  }

  /** A scheduler is connected and listening for requests. */
  get schedulerOnline(): boolean {
    return this.#schedulers.size > 0;
  }
}
