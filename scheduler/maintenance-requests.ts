import { closeSync, existsSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AIFlowError } from '../protocol/errors.ts';
import { taskFiles } from './executor/task-files.ts';
import type { RequestTarget, SchedulerHandlers } from './requests.ts';
import { runId } from './task-request.ts';

/** The most bytes of log one `taskExecution.readLog` answer carries. */
export const LOG_CHUNK_BYTES = 256 * 1024;
const FINISHED = new Set(['success', 'failed', 'stopped']);

/** Methods of the operator commands, kept apart from the core requests. */
export const MAINTENANCE_HANDLERS: SchedulerHandlers<'workflowExecution.prune' | 'taskExecution.readLog'> = {
  'workflowExecution.prune': (s, p) => pruneExecutions(s, p.finishedBefore, p.dryRun),
  'taskExecution.readLog': (s, p) => readLog(s, p.taskExecutionId, p.offset),
};

/**
 * Reads a task's log (every try, concatenated) from byte `offset`: whole lines only while the task runs, so a
 * follower never splits a line or a UTF-8 character, everything once it has ended. `done` says the task has ended
 * and nothing is left to read: the status is read before the files, and a task's output is complete when its
 * status is final.
 */
async function readLog(scheduler: RequestTarget, taskExecutionId: number, offset: number) {
  const record = await scheduler.store.getTaskExecution(taskExecutionId);
  if (!record) throw new AIFlowError('NOT_FOUND', `task execution ${taskExecutionId} does not exist`);
  const ended = FINISHED.has(record.status);
  const files = scheduler.logFiles(record.id, record.attempt).filter((file) => existsSync(file));
  const chunks: Buffer[] = [];
  let start = 0;
  let wanted = LOG_CHUNK_BYTES;
  for (const file of files) {
    const size = statSync(file).size;
    const from = Math.max(offset - start, 0);
    start += size;
    if (from >= size || wanted === 0) continue;
    const length = Math.min(size - from, wanted);
    const buffer = Buffer.alloc(length);
    const fd = openSync(file, 'r');
    try {
      chunks.push(buffer.subarray(0, readSync(fd, buffer, 0, length, from)));
    } finally {
      closeSync(fd);
    }
    wanted -= length;
  }
  let bytes = Buffer.concat(chunks);
  const complete = offset + bytes.length >= start;
  if (!ended && bytes.length < LOG_CHUNK_BYTES) {
    bytes = bytes.subarray(0, bytes.lastIndexOf(0x0a) + 1);
  }
  return {
    taskExecutionId,
    status: record.status,
    log: bytes.toString('utf8'),
    offset: offset + bytes.length,
    done: ended && complete,
  };
}

/**
 * Removes the executions that finished before `finishedBefore`, with their task executions, value state and task
 * files (spec, log, pid, start, status, stop and exit files of every try). Running executions are never touched.
 */
async function pruneExecutions(scheduler: RequestTarget, finishedBefore: number, dryRun: boolean) {
  const store = scheduler.store;
  const old = [];
  for (const namespace of await store.listNamespaces()) {
    for (const workflow of await store.listWorkflows(namespace.name)) {
      for (const execution of await store.listWorkflowExecutions(workflow.id)) {
        if (
          FINISHED.has(execution.status) &&
          execution.endTime !== null &&
          execution.endTime < finishedBefore
        ) {
          old.push(execution);
        }
      }
    }
  }
  let taskExecutions = 0;
  let files = 0;
  const tasksDir = join(scheduler.dataDir, 'tasks');
  for (const execution of old) {
    for (const task of await store.listTaskExecutions(execution.id)) {
      taskExecutions++;
      for (let attempt = 1; attempt <= task.attempt; attempt++) {
        for (const file of Object.values(taskFiles(tasksDir, runId(task.id, attempt)))) {
          if (!existsSync(file)) continue;
          files++;
          if (!dryRun) rmSync(file, { force: true });
        }
      }
    }
    if (!dryRun) await store.deleteWorkflowExecution(execution.id);
  }
  return { executions: old.length, taskExecutions, files, ids: old.map((e) => e.id), dryRun };
}
