import { Command, Option } from 'commander';
import { createLogger, isLogLevel } from '../../broker/index.ts';
import { AIFlowError } from '../../protocol/errors.ts';
import { startScheduler } from '../../server/index.ts';
import { defaultHome } from '../home.ts';
import type { CliIO } from '../io.ts';
import { serverOption } from '../options.ts';

/** `aiflow scheduler start`: the scheduler in its own process, against a server started with `--no-scheduler`. */
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
    .addOption(
      new Option('--log-level <level>', 'debug, info, warn or error').env('AIFLOW_LOG_LEVEL').default('info'),
    )
    .action(async (options: { server: string; home?: string; logLevel: string }) => {
      if (!isLogLevel(options.logLevel)) {
        throw new AIFlowError('INVALID_OPTION', 'log level must be debug, info, warn or error');
      }
      const stopRequested = io.untilStopped();
      const home = options.home ?? defaultHome(io.env);
      const running = await startScheduler({
        home,
        server: options.server,
        logger: createLogger(options.logLevel),
      });
      io.stdout(`aiflow scheduler running against ${options.server} (data in ${home})\n`);
      await stopRequested;
      await running.close();
      await running.store.close();
      io.stdout('aiflow scheduler stopped\n');
    });
  return scheduler;
}
