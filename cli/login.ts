import { Option } from 'commander';
import type { Credentials } from '../protocol/admin-credential.ts';
import { AIFlowError } from '../protocol/errors.ts';
import { RUNTIME_ENV } from '../protocol/runtime-env.ts';

/**
 * The login every client command uses: `--user`/`--password` (or `$AIFLOW_USERNAME`/`$AIFLOW_PASSWORD`), set before
 * the command runs. Without them the SDK reads the admin credential of the home (`$AIFLOW_HOME`, else `~/.aiflow`).
 */
let current: Credentials | undefined;

export const userOption = () =>
  new Option('-u, --user <name>', 'user name (or token name) to log in as').env(RUNTIME_ENV.username);

export const passwordOption = () =>
  new Option('--password <password>', 'password of --user (or the token)').env(RUNTIME_ENV.password);

export function setCliLogin(options: { user?: string; password?: string }): void {
  if (options.user === undefined) {
    current = undefined;
    return;
  }
  if (options.password === undefined) {
    throw new AIFlowError('INVALID_OPTION', '--user needs --password (or AIFLOW_PASSWORD)');
  }
  current = { username: options.user, password: options.password };
}

export function cliLogin(): Credentials | undefined {
  return current;
}
