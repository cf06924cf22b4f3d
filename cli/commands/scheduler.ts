import { Command, Option } from 'commander';
import { defaultHome } from '../home.ts';
import { cliClientTls, type ServerCliOptions } from '../client-tls-options.ts';
import type { CliIO } from '../io.ts';
import { loggerOf, withLogOptions, type LogCliOptions } from '../log-options.ts';
import { serverOption } from '../options.ts';
import {
  conditionTimeoutOption,
  leaseDurationOption,
  parallelismOption,
  stopGraceOption,
  type SchedulerCliOptions,
} from '../scheduler-options.ts';

interface StartOptions extends SchedulerCliOptions, LogCliOptions, ServerCliOptions {
  home?: string;
}

/**
 * `aiflow scheduler start`: the scheduler in its own process, against the server of the same home. `aiflow server
 * start` runs this same command as its supervised child; `server start --no-scheduler` leaves it to the user.
 */
export function schedulerCommand(io: CliIO): Command {
  const scheduler = new Command('scheduler').description('run the scheduler apart from the broker');
  withLogOptions(scheduler.command('start'))
    .description(
      'start the scheduler in the foreground against the server of the same home (Ctrl-C stops it)',
    )
    .addOption(serverOption())
    .addOption(
      new Option(
        '--home <dir>',
        'data folder shared with the server [env: AIFLOW_HOME] (default: "~/.aiflow")',
      ),
    )
    .addOption(parallelismOption())
    .addOption(leaseDurationOption())
    .addOption(stopGraceOption())
    .addOption(conditionTimeoutOption())
    .action(async (options: StartOptions) => {
      const { logger } = loggerOf(io, options);
      // Loaded here, not at the top: the other commands start faster without the scheduler and SQLite.
      const { startScheduler, supervisorChannel } = await import('../../server/index.ts');
      const supervisor = supervisorChannel();
      const stopRequested = io.untilStopped();
      const home = options.home ?? defaultHome(io.env);
      const running = await startScheduler({
        home,
        server: options.server,
        tls: cliClientTls(options),
        logger,
        parallelism: options.parallelism,
        leaseDurationMs: options.leaseDurationMs,
        // Under `server start`, a previous scheduler of this home may still be exiting (its server was killed):
        // wait for it, at most one lease duration and a margin. Started by hand, fail at once.
        waitForLeaseMs: supervisor ? options.leaseDurationMs + 5_000 : 0,
        ...(options.stopGraceMs === undefined ? {} : { stopGraceMs: options.stopGraceMs }),
        ...(options.conditionTimeoutMs === undefined
          ? {}
          : { conditionTimeoutMs: options.conditionTimeoutMs }),
      });
      io.stdout(
        `aiflow scheduler running against ${options.server} (data in ${home}, pid ${process.pid}, lease ${running.token}, parallelism ${options.parallelism})\n`,
      );
      supervisor?.ready(() => running.metrics.snapshot());
      const lost = await Promise.race([stopRequested.then(() => null), running.lost]);
      await running.close();
      if (lost) throw lost;
      io.stdout('aiflow scheduler stopped\n');
    });
  return scheduler;
}
