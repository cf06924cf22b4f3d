/**
 * The scheduler's MQTT password when the broker checks the scheduler lease: `<fencing token>:<server secret>`.
 * The secret proves the scheduler can read the home (where the server leaves it, mode 0600); the fencing token
 * proves it holds the lease, so a scheduler that lost its lease is refused even though it knows the secret.
 */
export interface SchedulerCredential {
  fencingToken: number;
  secret: string;
}

export function formatSchedulerPassword(credential: SchedulerCredential): string {
  return `${credential.fencingToken}:${credential.secret}`;
}

/** The server secret inside a scheduler password, fenced or not. */
export function schedulerSecret(password: string): string {
  return parseSchedulerPassword(password)?.secret ?? password;
}

/** Undefined when the password is not of the fenced form. */
export function parseSchedulerPassword(password: string): SchedulerCredential | undefined {
  const match = /^(\d{1,15}):(.+)$/s.exec(password);
  if (!match) return undefined;
  return { fencingToken: Number(match[1]), secret: match[2]! };
}
