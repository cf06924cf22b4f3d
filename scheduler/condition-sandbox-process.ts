// The condition sandbox's process: `node <this file, bundled> <workflow module bundle> <time limit in ms>`.
// It loads one snapshot's workflow module once, then answers batches of `isMet` evaluations over IPC.
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { findCondition } from '../workflow/to-spec.ts';
import { isWorkflow, type Workflow } from '../workflow/workflow.ts';
import type {
  EvaluateMessage,
  SandboxEvaluation,
  SandboxMessage,
  SandboxOutcome,
  SandboxResult,
} from './condition-sandbox-protocol.ts';

const [moduleBundle = '', limit = ''] = process.argv.slice(2);
const timeoutMs = Number(limit);
const ORPHAN_CHECK_MS = 1_000;

const send = (message: SandboxMessage, then: () => void = () => undefined) => process.send?.(message, then);
// The scheduler is gone: nothing will ever ask again.
process.on('disconnect', () => process.exit(0));
// The same when this thread is stuck in an endless loop and cannot see the channel close: a thread of its own
// notices that the scheduler died (the process was adopted) and ends the process.
new Worker(
  `const { ppid } = require('node:worker_threads').workerData;
   setInterval(() => { if (process.ppid !== ppid) process.kill(process.pid, 'SIGKILL'); }, ${ORPHAN_CHECK_MS});`,
  { eval: true, workerData: { ppid: process.ppid } },
).unref();

try {
  const module = (await import(pathToFileURL(moduleBundle).href)) as Record<string, unknown>;
  const workflows = new Map<string, Workflow>();
  for (const value of Object.values(module)) if (isWorkflow(value)) workflows.set(value.name, value);
  process.on('message', (message: EvaluateMessage) => {
    void evaluateAll(workflows, message.evaluations).then((outcomes) =>
      send({ type: 'results', batch: message.batch, outcomes }),
    );
  });
  send({ type: 'ready' });
} catch (error) {
  send({ type: 'failed', error: reason(error) }, () => process.exit(1));
}

async function evaluateAll(
  workflows: Map<string, Workflow>,
  evaluations: SandboxEvaluation[],
): Promise<SandboxOutcome[]> {
  const outcomes: SandboxOutcome[] = [];
  for (const evaluation of evaluations) {
    try {
      outcomes.push({ ok: true, ...(await evaluate(workflows, evaluation)) });
    } catch (error) {
      outcomes.push({ ok: false, error: reason(error) });
    }
  }
  return outcomes;
}

async function evaluate(
  workflows: Map<string, Workflow>,
  request: SandboxEvaluation,
): Promise<SandboxResult> {
  const workflow = workflows.get(request.workflow);
  if (!workflow) throw new Error(`workflow ${request.workflow} is not in its snapshot's module`);
  const condition = findCondition(workflow, request.path);
  const states = { ...request.states };
  const updates: Record<string, unknown> = {};
  const context = {
    getState: (descriptor: { name: string }) => ({
      value: () => states[descriptor.name],
      update: (value: unknown) => {
        states[descriptor.name] = value;
        updates[descriptor.name] = value;
      },
    }),
    getTaskStatus: (task: string) => request.taskStatuses[task],
  };
  const started = performance.now();
  // An endless loop here blocks the process: the scheduler kills it at the time limit and starts another.
  let met: unknown = condition.isMet(request.event, context as never);
  // A promise that never settles is cut here, so the process stays and answers the rest of its batch.
  if (isThenable(met)) met = await withinLimit(met, timeoutMs - (performance.now() - started));
  return { met: met === true, updates };
}

function withinLimit(promise: PromiseLike<unknown>, remainingMs: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(tooLong()), Math.max(0, remainingMs));
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

const tooLong = () => new Error(`isMet took longer than ${timeoutMs} ms`);

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
