import { readFileSync } from 'node:fs';
import { ALREADY_STARTED_EXIT_CODE, type TaskFiles } from './task-files.ts';

/**
 * A bash task's runner is a shell, not Node: it starts in a few milliseconds instead of about 50, which is most
 * of a short task's life. The outer shell (leader of the task's process group) runs the command in a child
 * shell, then records its exit code in a file, so that an executor that did not start it (after a restart) still
 * learns how it ended. It traps SIGTERM and SIGINT with a no-op before it starts the child (a handler, unlike an
 * ignored signal, is reset in the child, so the command gets the group's SIGTERM as usual; and no signal can land
 * between the start and the trap), and waits again when a signal interrupts its `wait`, so it lives on to record
 * the exit (SIGKILL after the grace period ends both).
 * `$3`, the spec file, is there so that the command line identifies the runner (see `isRunnerAlive`); `$4` is the
 * start file, created before anything else (see `TaskFiles.started`).
 */
const SCRIPT = [
  // First act, before the command: the exclusive start file (noclobber opens with O_EXCL), or nothing runs.
  `set -C; printf '%s\\n' "$$" > "$4" || exit ${ALREADY_STARTED_EXIT_CODE}; set +C`,
  "trap ':' TERM INT",
  'bash -c "$1" aiflow-task &',
  'child=$!',
  // A trapped signal ends `wait` early (status > 128) while the child may live on (or be a zombie): wait again.
  'while :; do wait "$child"; code=$?; [ "$code" -gt 128 ] && kill -0 "$child" 2>/dev/null && continue; break; done',
  'printf "%s\\n" "$code" > "$2.tmp" && mv -f "$2.tmp" "$2"',
  'exit "$code"',
].join('\n');

export function shellRunnerArgs(command: string, files: TaskFiles): string[] {
  return ['-c', SCRIPT, 'aiflow-runner', command, files.exit, files.spec, files.started];
}

/** The exit code a shell runner recorded, if it finished recording it. */
export function readExitCode(file: string): number | undefined {
  try {
    const text = readFileSync(file, 'utf8').trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}
