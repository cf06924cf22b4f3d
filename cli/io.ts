/** Where a command writes and what ends a long-running command; tests pass their own. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Where a project's `aiflow.config.*` is looked for. @defaultValue `process.cwd()` */
  cwd?: string;
  /** True when stdout is a terminal: live views redraw in place, logs default to the pretty format. */
  stdoutIsTerminal?: boolean;
  /**
   * Resolves when a foreground command (`server start`, `event listen`) should stop. Call it before starting
   * the work, so that a signal arriving during start-up is not lost.
   */
  untilStopped(): Promise<void>;
}

export function processIO(): CliIO {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    stdoutIsTerminal: process.stdout.isTTY === true,
    untilStopped: () =>
      new Promise((resolve) => {
        // The first SIGINT/SIGTERM asks for a graceful stop; a second Ctrl-C forces the exit.
        let signals = 0;
        const onSignal = (signal: NodeJS.Signals) => {
          signals += 1;
          if (signals > 1 && signal === 'SIGINT') process.exit(130);
          resolve();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      }),
  };
}
