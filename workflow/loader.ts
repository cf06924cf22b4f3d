import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { siblingModule, userModuleNodeFlags } from '../protocol/module-url.ts';
import { AIFlowError, isErrorCode, toAIFlowError } from '../protocol/errors.ts';
import { invalid, show } from './checks.ts';
import { describeCrash, describeLoadError } from './load-error.ts';
import type { WorkflowSpec } from './spec.ts';
import { toSpec } from './to-spec.ts';
import { validateModule } from './validate.ts';
import { isWorkflow, type Workflow } from './workflow.ts';

/** What {@link loadWorkflows} found in a module. */
export interface LoadedWorkflows {
  /** Default export first, then named exports in the module namespace's (alphabetical) order; no duplicates. */
  workflows: Workflow[];
  /** `toSpec` of each workflow, in the same order. */
  specs: WorkflowSpec[];
}

/**
 * Imports a workflow module (`.ts` under tsx, or `.js`/`.mjs` such as an upload's bundle) in this process and
 * returns every `Workflow` it exports, validated. Runs the user's code here and Node caches the module for the
 * life of the process: only processes that run user code anyway (task runners, the condition sandbox, the
 * isolated loader) should call it.
 *
 * @param file - a path, relative to the current directory or absolute; messages quote it as given.
 * @throws AIFlowError `INVALID_WORKFLOW`, `<file>:<line>:<col>: <reason>` when the location is known
 *   (syntax error in a transformed file, exception at top level, unknown import), `<file>: <reason>` otherwise.
 */
export async function loadWorkflows(file: string): Promise<LoadedWorkflows> {
  if (!statSync(resolve(file), { throwIfNoEntry: false })?.isFile()) throw invalid(`${file}: no such file`);
  let module: Record<string, unknown>;
  // A bundle's inline source map then turns its stack traces into the user's files and lines (tsx does it too).
  process.setSourceMapsEnabled(true);
  try {
    module = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
  } catch (error) {
    throw describeLoadError(error, file);
  }
  const workflows = exportedWorkflows(module);
  if (workflows.length === 0) {
    throw invalid(`${file}: exports no Workflow (export one: export default workflow, or a named export)`);
  }
  try {
    validateModule(workflows);
  } catch (error) {
    throw error instanceof AIFlowError ? invalid(`${file}: ${error.message}`, error) : error;
  }
  return { workflows, specs: workflows.map(toSpec) };
}

function exportedWorkflows(module: Record<string, unknown>): Workflow[] {
  const names = Object.keys(module).sort((a, b) => Number(b === 'default') - Number(a === 'default'));
  return [...new Set(names.map((name) => module[name]).filter(isWorkflow))];
}

/** Options of {@link loadWorkflowsIsolated}. */
export interface IsolatedLoadOptions {
  /** The loading process is killed after this long, including Node's start-up. @defaultValue `10_000` */
  timeoutMs?: number;
}

export const ISOLATED_LOAD_DEFAULTS: Readonly<Required<IsolatedLoadOptions>> = Object.freeze({
  timeoutMs: 10_000,
});

const LOAD_PROCESS = fileURLToPath(siblingModule(import.meta.url, 'load-process'));
/** The child may run TypeScript, so it needs tsx whatever the current directory (hence an absolute URL). */
const TSX = import.meta.resolve('tsx');
/** Only the tail of stderr is kept: enough for Node's crash report, bounded whatever the module prints. */
const STDERR_TAIL_BYTES = 64 * 1024;
/** How long to keep reading the pipes after the process exited, if something else still holds them open. */
const STDIO_GRACE_MS = 500;

/**
 * Loads a workflow module in a child process (Node, with tsx for TypeScript) and returns the specs of its
 * workflows. The module's code never runs in this process, so an infinite loop, `process.exit` or a crash cannot
 * harm the caller, and the module is read afresh on every call. The current directory and environment are inherited.
 *
 * @throws AIFlowError `INVALID_WORKFLOW` with the messages of {@link loadWorkflows}, or
 *   `<file>: loading took longer than <timeoutMs> ms` (the process is killed), or
 *   `<file>: the loading process exited with code <n> before reporting: <last line of stderr>`.
 * @throws AIFlowError `INVALID_OPTION` for an invalid `timeoutMs`.
 */
export async function loadWorkflowsIsolated(
  file: string,
  options: IsolatedLoadOptions = {},
): Promise<WorkflowSpec[]> {
  const timeoutMs = options.timeoutMs ?? ISOLATED_LOAD_DEFAULTS.timeoutMs;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
    throw new AIFlowError('INVALID_OPTION', `timeoutMs must be an integer > 0, got ${show(timeoutMs)}`);
  }
  const child = spawn(
    process.execPath,
    [...userModuleNodeFlags(import.meta.url, file, TSX), LOAD_PROCESS, file],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
  });
  // Not `once(child, 'close')` alone: a process started by the module may inherit the pipes and keep them open.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  let exitCode: number | null;
  try {
    [exitCode] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  } catch (error) {
    // Node could not start the process: not the module's fault.
    throw toAIFlowError(error);
  } finally {
    clearTimeout(timer);
  }
  let grace: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise((resolve) => (grace = setTimeout(resolve, STDIO_GRACE_MS)))]);
  clearTimeout(grace);
  child.stdout.destroy();
  child.stderr.destroy();
  if (timedOut) throw invalid(`${file}: loading took longer than ${timeoutMs} ms`);
  return readResult(file, stdout, stderr, exitCode);
}

/** The child's result is the last line of its stdout (the module's own output goes to stderr). */
type LoadResult =
  { ok: true; specs: WorkflowSpec[] } | { ok: false; error: { code: unknown; message: string } };

function readResult(file: string, stdout: string, stderr: string, exitCode: number | null): WorkflowSpec[] {
  const last = stdout.trimEnd().split('\n').pop() ?? '';
  let result: LoadResult | undefined;
  try {
    result = JSON.parse(last) as LoadResult;
  } catch {
    result = undefined;
  }
  if (result?.ok === true) return result.specs;
  if (result?.ok === false) {
    const { code, message } = result.error;
    throw new AIFlowError(isErrorCode(code) ? code : 'INVALID_WORKFLOW', message);
  }
  const crash = describeCrash(stderr, file);
  if (crash !== undefined) throw invalid(crash);
  // 13 is Node's exit code for a top-level await that can never settle.
  if (exitCode === 13) throw invalid(`${file}: the module's top-level await never settled`);
  const reason = stderr.trimEnd().split('\n').pop() || 'no output';
  throw invalid(`${file}: the loading process exited with code ${exitCode} before reporting: ${reason}`);
}
