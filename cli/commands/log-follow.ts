import { setTimeout as sleep } from 'node:timers/promises';
import { SchedulerClient } from '../../client/scheduler-client.ts';
import { cliClientTls, type ServerCliOptions } from '../client-tls-options.ts';
import { cliLogin } from '../login.ts';
import type { CliIO } from '../io.ts';

/** How often a follower asks for new lines while the task runs. */
const FOLLOW_INTERVAL_MS = 250;

/**
 * `task-execution logs -f`: prints the log from the start, then each new line as the task writes it, through
 * `taskExecution.readLog` with a byte cursor, until the task has ended and its last line is printed (or Ctrl-C).
 */
export async function followLog(io: CliIO, target: ServerCliOptions, taskExecutionId: string): Promise<void> {
  const stopRequested = io.untilStopped();
  let stopped = false;
  void stopRequested.then(() => (stopped = true));
  const client = await SchedulerClient.connect({
    server: target.server,
    tls: cliClientTls(target),
    credentials: cliLogin(),
  });
  try {
    for (let offset = 0; !stopped;) {
      const chunk = await client.call('taskExecution.readLog', { taskExecutionId, offset });
      if (chunk.log) io.stdout(chunk.log);
      if (chunk.done) return;
      // A full chunk means more is waiting: ask again at once.
      if (chunk.offset === offset) await Promise.race([sleep(FOLLOW_INTERVAL_MS), stopRequested]);
      offset = chunk.offset;
    }
  } finally {
    await client.close();
  }
}
