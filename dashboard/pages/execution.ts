import type {
  ExecutionDetail,
  TaskExecutionRecord,
  TaskStatusContext,
  WorkflowSpec,
  WorkflowStatusContext,
} from '../api.ts';
import type { TaskActionInfo } from '../../protocol/task-actions.ts';
import { statusContext } from '../api.ts';
import { actionsSlot } from '../cause.ts';
import { formatDuration, formatTime, frameThrottle, h, replace } from '../dom.ts';
import { gantt } from '../gantt.ts';
import { LogTail } from '../log-tail.ts';
import { reportError, type Page, type PageContext } from '../page.ts';
import { href, setRouteQuery } from '../route.ts';
import { LIVE_STATUSES, statusBadge, statusLegend } from '../status.ts';
import { taskGraph } from '../task-graph.ts';

/** Refetches of the execution are at most this frequent, however many status events arrive. */
const REFRESH_MS = 300;

/**
 * One workflow execution, live: a header with its status and actions, the task grid (latest execution per task),
 * the graph coloured by status, a Gantt timeline of every task execution, and a task's log streaming live.
 * Status events (`$task/…`, `$workflow/…`) update the page at once; the record is then refetched for times.
 */
export function executionPage({ connection, permissions, params, query }: PageContext): Page {
  const id = Number(params[0]);
  const message = h('p', { class: 'message error', role: 'alert', hidden: true });
  const header = h('div', { class: 'exec-header' });
  const tasks = h('tbody');
  const graph = h('div', { class: 'graph-box' });
  const graphNote = h('p', { class: 'muted' });
  const timeline = h('div', { class: 'gantt-box' });
  const logSlot = h('div', {});
  let execution: ExecutionDetail | null = null;
  let spec: WorkflowSpec | null = null;
  let log: LogTail | null = null;
  /** Run results are announced to screen readers once (connection state is the only other live region). */
  const announcer = h('div', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });
  let announced: string | null = null;
  const unsubscribes: (() => void)[] = [];

  const element = h(
    'section',
    { class: 'page', 'data-page': 'execution', 'data-execution': id },
    message,
    announcer,
    header,
    h(
      'table',
      { class: 'grid', 'aria-label': 'tasks' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Task', 'Status', 'Run', 'Try', 'Begin', 'Duration', 'Reason', 'Actions'].map((t) =>
            h('th', { scope: 'col' }, t),
          ),
        ),
      ),
      tasks,
    ),
    statusLegend(),
    h('h2', {}, 'Graph'),
    graphNote,
    graph,
    h('h2', {}, 'Timeline'),
    timeline,
    logSlot,
  );

  const act = (label: string, run: () => Promise<unknown>, attributes: Record<string, string> = {}) => {
    const b = h('button', { type: 'button', 'data-action': label.toLowerCase(), ...attributes }, label);
    b.addEventListener('click', () => void run().catch((error) => reportError(message, error)));
    return b;
  };

  function latestByTask(): Map<string, TaskExecutionRecord> {
    const latest = new Map<string, TaskExecutionRecord>();
    for (const t of execution?.taskExecutions ?? []) {
      const seen = latest.get(t.task);
      if (!seen || t.sequence > seen.sequence || (t.sequence === seen.sequence && t.id > seen.id))
        latest.set(t.task, t);
    }
    return latest;
  }

  const render = frameThrottle(() => {
    if (!execution) return;
    const e = execution;
    // Stop, Run again and the task actions need operator: left out for a caller without it.
    const operator = permissions.allows('operator', e.namespace);
    const now = Date.now();
    element.dataset.status = e.status;
    replace(
      header,
      h(
        'h1',
        {},
        h('a', { href: href('workflow', e.namespace, e.workflow) }, `${e.namespace} / ${e.workflow}`),
        ` · execution #${e.id} `,
        statusBadge(e.status),
      ),
      h(
        'p',
        {},
        `${e.runType} run, begun ${formatTime(e.beginTime)}, `,
        liveDuration(e.beginTime, e.endTime, now),
        e.endTime ? '' : ' so far',
      ),
      h(
        'div',
        { class: 'actions' },
        LIVE_STATUSES.has(e.status) && operator
          ? act('Stop', async () => {
              if (confirm(`Stop execution #${e.id} of ${e.workflow}?`)) {
                await connection.call('workflowExecution.stop', { workflowExecutionId: e.id });
              }
            })
          : null,
        operator
          ? act('Run again', async () => {
              const started = await connection.call<{ id: number }>('workflowExecution.start', {
                namespace: e.namespace,
                workflow: e.workflow,
              });
              location.hash = href('execution', started.id);
            })
          : null,
      ),
    );
    const latest = latestByTask();
    // The rows are rebuilt: the focused button is found again by its task and action.
    const active = document.activeElement as HTMLElement | null;
    const focusKey = active?.dataset.action && active.closest('tr')?.dataset.task;
    const focusAction = active?.dataset.action;
    const names = [...(spec?.tasks.map((t) => t.name) ?? []), ...latest.keys()].filter(
      (name, i, all) => all.indexOf(name) === i,
    );
    replace(
      tasks,
      names.map((name) => {
        const t = latest.get(name);
        const live = t && LIVE_STATUSES.has(t.status);
        return h(
          'tr',
          { 'data-task': name, 'data-status': t?.status ?? 'none' },
          h('th', { scope: 'row' }, name),
          h('td', {}, t ? statusBadge(t.status) : h('span', { class: 'muted' }, 'not started')),
          h('td', {}, t ? runs(name, t) : ''),
          h('td', {}, t ? String(t.attempt) : ''),
          h('td', {}, t ? formatTime(t.beginTime) : ''),
          h('td', {}, t ? liveDuration(t.beginTime, t.endTime, now) : ''),
          h('td', { class: 'reason' }, t?.reason ?? ''),
          h(
            'td',
            { class: 'actions' },
            t ? act('Log', async () => openLog(t), { 'data-task-execution': String(t.id) }) : null,
            live && operator
              ? act('Stop', async () => {
                  if (confirm(`Stop task ${name} of execution #${e.id}?`)) {
                    await connection.call('taskExecution.stop', { workflowExecutionId: e.id, task: name });
                  }
                })
              : LIVE_STATUSES.has(e.status) && !live && operator
                ? act('Start', () =>
                    connection.call('taskExecution.start', { workflowExecutionId: e.id, task: name }),
                  )
                : null,
          ),
        );
      }),
    );
    if (focusKey && focusAction) {
      tasks
        .querySelector<HTMLElement>(`tr[data-task="${CSS.escape(focusKey)}"] [data-action="${focusAction}"]`)
        ?.focus();
    }
    if (!LIVE_STATUSES.has(e.status) && announced !== e.status) {
      announced = e.status;
      announcer.textContent = `execution ${e.id} of ${e.workflow}: ${e.status}`;
    }
    if (spec) replace(graph, taskGraph(spec, new Map([...latest].map(([task, t]) => [task, t.status]))));
    replace(
      timeline,
      e.taskExecutions.length
        ? gantt(e.taskExecutions, now)
        : h('p', { class: 'muted' }, 'no task has started'),
    );
  });

  /** A task's runs: the latest, and the earlier ones (RESTART, periodic ticks) in a disclosure. */
  function runs(task: string, latest: TaskExecutionRecord): HTMLElement | string {
    const all = (execution?.taskExecutions ?? []).filter((t) => t.task === task).sort((a, b) => b.id - a.id);
    if (all.length < 2) return `#${latest.sequence}`;
    return h(
      'details',
      {},
      h('summary', {}, `#${latest.sequence} (${all.length} runs)`),
      h(
        'ul',
        { class: 'runs' },
        all.map((t) =>
          h(
            'li',
            {},
            `#${t.sequence} `,
            statusBadge(t.status),
            ` try ${t.attempt}, ${formatTime(t.beginTime)}`,
            t.reason ? ` (${t.reason})` : '',
          ),
        ),
      ),
    );
  }

  async function openLog(t: TaskExecutionRecord): Promise<void> {
    log?.close();
    log = new LogTail(connection, t.id, `${t.task} #${t.sequence} (task execution ${t.id})`);
    const detail = h('div', { class: 'why-row' }, h('strong', {}, 'Why: '), actionsSlot(undefined));
    replace(logSlot, log.element, detail);
    setRouteQuery('task', String(t.id));
    // The record of one task execution carries every action taken on it, with its cause.
    const record = await connection.call<{ actions?: TaskActionInfo[] }>('taskExecution.show', {
      taskExecutionId: t.id,
    });
    replace(detail, h('strong', {}, 'Why: '), actionsSlot(record.actions));
  }

  let refresh: ReturnType<typeof setTimeout> | undefined;
  function load(): void {
    clearTimeout(refresh);
    refresh = undefined;
    connection
      .call<ExecutionDetail>('workflowExecution.show', { workflowExecutionId: id })
      .then(async (detail) => {
        const first = execution === null;
        execution = detail;
        if (first) {
          subscribe(detail);
          const shown = await connection
            .call<{ spec?: WorkflowSpec; snapshotId: number }>('workflow.show', {
              namespace: detail.namespace,
              workflow: detail.workflow,
            })
            .catch(() => null);
          spec = shown?.spec ?? null;
          // The graph is the workflow's latest upload; say so when this execution ran on an earlier one.
          if (shown && shown.snapshotId !== detail.snapshotId) {
            graphNote.textContent = `The graph shows snapshot ${shown.snapshotId}, the latest upload; this execution runs on snapshot ${detail.snapshotId}.`;
          }
          const task = detail.taskExecutions.find((t) => String(t.id) === query.get('task'));
          if (task) void openLog(task);
        }
        element.dataset.loaded = 'true';
        render();
      })
      .catch((error) => reportError(message, error));
  }
  const scheduleRefresh = () => (refresh ??= setTimeout(load, REFRESH_MS));

  function subscribe(detail: ExecutionDetail): void {
    const root = `ns/${detail.namespace}`;
    unsubscribes.push(
      connection.subscribe(`${root}/$task/${detail.workflow}/#`, (event) => {
        const c = statusContext<TaskStatusContext>(event.context);
        if (!c || c.workflowExecutionId !== id || !execution) return;
        // Applied at once from the event; times and tries come with the refetch.
        const known = execution.taskExecutions.find((t) => t.id === c.taskExecutionId);
        if (known) {
          known.status = c.status;
          if (c.reason) known.reason = c.reason;
          if (!LIVE_STATUSES.has(c.status)) known.endTime ??= event.createTime;
        } else {
          execution.taskExecutions.push({
            id: c.taskExecutionId,
            workflowExecutionId: id,
            task: c.task,
            sequence: c.sequence,
            attempt: 1,
            status: c.status,
            pid: null,
            beginTime: event.createTime,
            endTime: null,
            reason: c.reason ?? null,
          });
        }
        render();
        log?.nudge();
        scheduleRefresh();
      }),
      connection.subscribe(`${root}/$workflow/${detail.workflow}`, (event) => {
        const c = statusContext<WorkflowStatusContext>(event.context);
        if (!c || c.workflowExecutionId !== id || !execution) return;
        execution.status = c.status;
        if (!LIVE_STATUSES.has(c.status)) execution.endTime ??= event.createTime;
        render();
        scheduleRefresh();
      }),
      connection.onReconnect(load),
    );
  }

  // The durations of a live execution tick once a second; nothing is fetched for it.
  // While live, durations tick and the timeline grows once a second; nothing else is redrawn (focus stays put).
  const ticker = setInterval(() => {
    if (!execution || !LIVE_STATUSES.has(execution.status)) return;
    const now = Date.now();
    for (const cell of element.querySelectorAll<HTMLElement>('.duration[data-live]')) {
      cell.textContent = formatDuration(now - Number(cell.dataset.begin));
    }
    if (execution.taskExecutions.length) replace(timeline, gantt(execution.taskExecutions, now));
  }, 1000);
  load();
  return {
    element,
    dispose: () => {
      clearInterval(ticker);
      clearTimeout(refresh);
      log?.close();
      unsubscribes.forEach((u) => u());
    },
  };
}

/** A duration that the page's ticker keeps current while it runs (`data-live`). */
function liveDuration(begin: number, end: number | null, now: number): HTMLElement {
  return h(
    'span',
    { class: 'duration', 'data-begin': begin, 'data-live': end === null },
    formatDuration((end ?? now) - begin),
  );
}
