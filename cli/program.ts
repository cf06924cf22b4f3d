import { Command, CommanderError } from 'commander';
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
import { tokenCommand, userCommand, whoamiCommand } from './commands/access.ts';
import type { CliIO } from './io.ts';
import { passwordOption, setCliLogin, userOption } from './login.ts';

export function createProgram(io: CliIO): Command {
  const program = new Command('aiflow')
    .description('event-driven workflow scheduler on MQTT')
    .version(PACKAGE_VERSION)
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
  program.addCommand(configCommand(io));
  program.addCommand(dbCommand(io));
  program.addCommand(userCommand(io));
  program.addCommand(tokenCommand(io));
  program.addCommand(whoamiCommand(io));
  applyToAll(program, (command) => {
    command.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    // Every command that talks to a server takes the same login options.
    if (command.options.some((option) => option.long === '--server')) {
      command.addOption(userOption()).addOption(passwordOption());
    }
  });
  program.hook('preAction', (_program, action) => setCliLogin(action.opts()));
  return program;
}

/**
 * Runs one command line and returns the exit code: 0, 1 for a failed command (one line on stderr:
 * `aiflow: <CODE>: <reason>`), or Commander's code for usage errors (it prints its own message).
 */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  try {
    await createProgram(io).parseAsync(argv, { from: 'user' });
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
