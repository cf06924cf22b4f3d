import { Command, Option } from 'commander';
import { createLogger, isLogLevel } from '../../broker/logger.ts';
import { AIFlowError } from '../../protocol/errors.ts';
import { defaultHome } from '../home.ts';
import type { CliIO } from '../io.ts';
import { serverOption } from '../options.ts';
import {
  conditionTimeoutOption,
  leaseDurationOption,
  parallelismOption,
  stopGraceOption,
  type SchedulerCliOptions,
} from '../scheduler-options.ts';

interface StartOptions extends SchedulerCliOptions {
  server: string;
  home?: string;
  logLevel: string;
}

/**
 * `aiflow scheduler start`: the scheduler in its own process, against the server of the same home. `aiflow server
 * start` runs this same command as its supervised child; `server start --no-scheduler` leaves it to the user.
 */
export function schedulerCommand(io: CliIO): Command {
  const scheduler = new Command('scheduler').description('run the scheduler apart from the broker');
  scheduler
    .command('start')
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
    .addOption(
      new Option('--log-level <level>', 'debug, info, warn or error').env('AIFLOW_LOG_LEVEL').default('info'),
    )
    .action(async (options: StartOptions) => {
      if (!isLogLevel(options.logLevel)) {
        throw new AIFlowError('INVALID_OPTION', 'log level must be debug, info, warn or error');
      }
      // Loaded here, not at the top: the other commands start faster without the scheduler and SQLite.
      const { startScheduler, supervisorChannel } = await import('../../server/index.ts');
      const supervisor = supervisorChannel();
      const stopRequested = io.untilStopped();
      const home = options.home ?? defaultHome(io.env);
      const running = await startScheduler({
        home,
        server: options.server,
        logger: createLogger(options.logLevel),
        parallelism: options.parallelism,
        leaseDurationMs: options.leaseDurationMs,
        ...(options.stopGraceMs === undefined ? {} : { stopGraceMs: options.stopGraceMs }),
        ...(options.conditionTimeoutMs === undefined
          ? {}
          : { conditionTimeoutMs: options.conditionTimeoutMs }),
      });
      io.stdout(
        `aiflow scheduler running against ${options.server} (data in ${home}, pid ${process.pid}, lease ${running.token}, parallelism ${options.parallelism})\n`,
      );
      supervisor?.ready();
      const lost = await Promise.race([stopRequested.then(() => null), running.lost]);
      await running.close();
      if (lost) throw lost;
      io.stdout('aiflow scheduler stopped\n');
    });
  return scheduler;
}
