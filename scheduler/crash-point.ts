/**
 * Fault injection for crash tests: with `AIFLOW_CRASH_POINT=after-commit:<input label>` (for example
 * `after-commit:event:go`), the scheduler's process kills itself with SIGKILL right after committing a batch that
 * holds that input and before any of the batch's effects run: the window a restart must recover from.
 */
export const CRASH_POINT_ENV = 'AIFLOW_CRASH_POINT';

export function crashPointHook(
  value: string | undefined = process.env[CRASH_POINT_ENV],
): ((labels: readonly string[]) => void) | undefined {
  const prefix = 'after-commit:';
  if (!value?.startsWith(prefix)) return undefined;
  const label = value.slice(prefix.length);
  return (labels) => {
    if (labels.includes(label)) process.kill(process.pid, 'SIGKILL');
  };
}
