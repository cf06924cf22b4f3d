/*
 * The child process of `loadWorkflowsIsolated`: `node --import tsx load-process.ts <file>`.
 * Prints one JSON line on stdout, `{"ok":true,"specs":[…]}` or `{"ok":false,"error":{"code","message"}}`, then
 * exits, even if the module left timers or sockets open.
 */
import { AIFlowError, toAIFlowError } from '../protocol/errors.ts';
import { isUnlocatedSyntaxError } from './load-error.ts';
import { loadWorkflows } from './loader.ts';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: load-process.ts <file>');

// The module may print: its output goes to stderr, so that stdout carries only the result line.
const writeResult = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
// The DSL's own frames come first in its errors: keep enough frames to reach the user's line.
Error.stackTraceLimit = 50;

function report(result: object): void {
  // A leading newline keeps the line whole even if the module wrote to fd 1 without one.
  writeResult(`\n${JSON.stringify(result)}\n`, () => process.exit(0));
}

try {
  const { specs } = await loadWorkflows(file);
  report({ ok: true, specs });
} catch (error) {
  const cause = error instanceof AIFlowError ? error.cause : error;
  if (isUnlocatedSyntaxError(cause, file)) {
    // Only Node's fatal-error printer can read this error's location; the parent parses it from stderr.
    throw cause;
  }
  report({ ok: false, error: toAIFlowError(error, 'INVALID_WORKFLOW').toJSON() });
}
