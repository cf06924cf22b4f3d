import type { CauseEvent, RequestRef, TaskActionCause, TaskActionInfo } from './task-actions.ts';

/** Times in ISO 8601, as everywhere in the CLI; no dependency, so the dashboard shows the same words. */
const time = (ms: number) => new Date(ms).toISOString();

const VERBS = { start: 'started', stop: 'stopped', restart: 'restarted' } as const;

/**
 * One action of `task-execution show` in words, e.g. `started by rule 0 actionOnEventReceived(START, "model_ready")
 * on event 1,234 model_ready from trainer-7 at 2026-11-29T10:01:02.000Z`.
 */
export function describeTaskAction(action: TaskActionInfo): string {
  const verb = action.cause.kind === 'retry' ? `try ${action.attempt} started` : VERBS[action.action];
  return `${verb} ${describeCause(action.cause)}`;
}

export function describeCause(cause: TaskActionCause): string {
  switch (cause.kind) {
    case 'rule':
      // The rule's text already holds its condition (in the JSON output, `condition` gives it alone).
      return `by rule ${cause.rule} ${cause.text} ${describeEvent(cause.event)}`;
    case 'request':
      return `by request ${describeRequest(cause)}`;
    case 'schedule':
      return `with its workflow execution, started by schedule ${cause.scheduleId} (${cause.expression})`;
    case 'trigger':
      return `with its workflow execution, started by trigger ${cause.triggerId} ${describeEvent(cause.event)}`;
    case 'retry':
      return `by retry ${cause.attempt - 1} of ${cause.maxRetries} after a failed try`;
    case 'timeout':
      return `by its time-out (${cause.timeoutMs} ms)`;
    case 'periodic':
      return `by a tick of its periodic expression ${cause.expression}`;
    case 'recovery':
      return 'by recovery: handed to the executor again after a scheduler restart';
    case 'execution-stop':
      return `with workflow execution ${cause.workflowExecutionId}, stopped by request ${describeRequest(cause)}`;
  }
}

function describeEvent(event: CauseEvent): string {
  return `on event ${event.offset.toLocaleString('en-US')} ${event.key} from ${event.sender} at ${time(event.createTime)}`;
}

function describeRequest(request: RequestRef): string {
  return request.client === undefined ? request.method : `${request.method} from ${request.client}`;
}
