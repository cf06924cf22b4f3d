// The CLI run in-process against a real broker: captured output, and a way to end foreground commands.
import type { TestContext } from 'node:test';
import { runCli } from '../../cli/program.ts';
import type { CliIO } from '../../cli/io.ts';
import { deferred, startTestBroker } from '../helpers.ts';

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI in-process with captured output; `stop` ends foreground commands and `printed(text)` resolves
 * once the running command has written `text` to stdout.
 */
export function cli(env: NodeJS.ProcessEnv = {}) {
  const stop = deferred();
  let stdout = '';
  const watchers: { text: string; seen: () => void }[] = [];
  const exec = async (...argv: string[]): Promise<Captured> => {
    stdout = '';
    let stderr = '';
    const io: CliIO = {
      stdout: (s) => {
        stdout += s;
        for (const w of watchers.filter((w) => stdout.includes(w.text))) w.seen();
      },
      stderr: (s) => (stderr += s),
      env,
      untilStopped: () => stop.promise,
    };
    const code = await runCli(argv, io);
    return { code, stdout, stderr };
  };
  const printed = (text: string) => {
    const seen = deferred();
    if (stdout.includes(text)) seen.resolve();
    else watchers.push({ text, seen: () => seen.resolve() });
    return seen.promise;
  };
  return { exec, stop: () => stop.resolve(), printed };
}

/** A real broker for CLI commands, and the `-s <url>` arguments that reach it. */
export async function brokerForCli(t: TestContext) {
  const broker = await startTestBroker(t);
  return { broker, s: ['-s', broker.url] };
}
