import { Command, CommanderError, Option } from 'commander';
import { toAIFlowError } from '../protocol/errors.ts';
import { PACKAGE_VERSION } from '../protocol/version.ts';
import { configCommand } from './commands/config.ts';
import { dbCommand } from './commands/db.ts';
import { eventCommand } from './commands/event.ts';
import { taskExecutionCommand, workflowExecutionCommand } from './commands/execution.ts';
import { namespaceCommand } from './commands/namespace.ts';
import { workflowScheduleCommand, workflowTriggerCommand } from './commands/schedule-trigger.ts';
import { workflowCommand } from './commands/workflow.ts';
import { schedulerCommand } from './commands/scheduler.ts';
import { serverCommand } from './commands/server.ts';
import {
  loadClientConfig,
  profileArgument,
  PROFILE_ENV,
  type ClientConfig,
  type ConfigSetting,
} from './client-config.ts';
import { addClientTlsOptions } from './client-tls-options.ts';
import { tokenCommand, userCommand, whoamiCommand } from './commands/access.ts';
import { auditCommand } from './commands/audit.ts';
import type { CliIO } from './io.ts';
import { passwordOption, setCliLogin, userOption } from './login.ts';

/** The options whose defaults come from the config files, by setting. */
const CONFIGURED_OPTIONS: Record<ConfigSetting, string[]> = {
  server: ['--server'],
  namespace: ['--namespace'],
  username: ['--user', '--username'],
  password: ['--password'],
  ca: ['--ca'],
};

export function createProgram(io: CliIO, config?: ClientConfig): Command {
  const program = new Command('aiflow')
    .description('event-driven workflow scheduler on MQTT')
    .version(PACKAGE_VERSION)
    .addOption(new Option('--profile <name>', 'use this profile of the config files').env(PROFILE_ENV))
    .showSuggestionAfterError();
  program.addCommand(serverCommand(io));
  program.addCommand(schedulerCommand(io));
  program.addCommand(namespaceCommand(io));
  program.addCommand(workflowCommand(io));
  program.addCommand(workflowExecutionCommand(io));
  program.addCommand(taskExecutionCommand(io));
  program.addCommand(workflowScheduleCommand(io));
  program.addCommand(workflowTriggerCommand(io));
  program.addCommand(eventCommand(io));
  program.addCommand(configCommand(io, config));
  program.addCommand(dbCommand(io));
  program.addCommand(userCommand(io));
  program.addCommand(tokenCommand(io));
  program.addCommand(auditCommand(io));
  program.addCommand(whoamiCommand(io));
  applyToAll(program, (command) => {
    addClientTlsOptions(command);
    command.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    // Every command that talks to a server takes the same login options.
    if (command.options.some((option) => option.long === '--server')) {
      command.addOption(userOption()).addOption(passwordOption());
    }
    if (config) applyConfigDefaults(command, config);
  });
  program.hook('preAction', (_program, action) => setCliLogin(action.opts()));
  return program;
}

/** Flags and env vars keep precedence: commander uses a default only when neither is given. */
function applyConfigDefaults(command: Command, config: ClientConfig): void {
  for (const option of command.options) {
    const setting = (Object.keys(CONFIGURED_OPTIONS) as ConfigSetting[]).find(
      (name) => option.long !== undefined && CONFIGURED_OPTIONS[name].includes(option.long),
    );
    const configured = setting && config.values[setting];
    if (!configured || configured.origin === 'default') continue;
    option.defaultValue = configured.value;
    // Commander stored the default when the option was added.
    command.setOptionValueWithSource(option.attributeName(), configured.value, 'default');
    option.defaultValueDescription =
      setting === 'password' ? `from ${configured.origin}` : `${configured.value}, from ${configured.origin}`;
  }
}

/**
 * Runs one command line and returns the exit code: 0, 1 for a failed command (one line on stderr:
 * `aiflow: <CODE>: <reason>`), or Commander's code for usage errors (it prints its own message).
 */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  try {
    const config = await loadClientConfig({
      env: io.env,
      cwd: io.cwd ?? process.cwd(),
      profile: profileArgument(argv),
    });
    await createProgram(io, config).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    const e = toAIFlowError(error);
    io.stderr(`aiflow: ${e.code}: ${e.message}\n`);
    return 1;
  }
}

function applyToAll(command: Command, apply: (command: Command) => void): void {
  apply(command);
  for (const sub of command.commands) applyToAll(sub, apply);
}
