import type {
  WorkflowExecutionRecord,
  WorkflowRecord,
  WorkflowScheduleInfo,
  WorkflowSpec,
  WorkflowStatusContext,
  WorkflowTriggerInfo,
} from '../api.ts';
import { statusContext } from '../api.ts';
import { formatDuration, formatTime, frameThrottle, h, replace } from '../dom.ts';
import { reportError, type Page, type PageContext } from '../page.ts';
import { href } from '../route.ts';
import { LIVE_STATUSES, statusBadge } from '../status.ts';
import { taskGraph } from '../task-graph.ts';

const PAGE_SIZE = 50;
type Filter = 'all' | 'live' | 'failed' | 'finished';

/** One workflow: its task graph, schedules and triggers, and its executions (paged, newest first, live). */
export function workflowPage({ connection, params, query }: PageContext): Page {
  const [namespace = 'default', name = ''] = params;
  const ref = { namespace, workflow: name };
  const message = h('p', { class: 'message error', role: 'alert', hidden: true });
  const graph = h('div', { class: 'graph-box' });
  const info = h('div', { class: 'info' });
  const rows = h('tbody');
  const pager = h('div', { class: 'pager' });
  let executions: WorkflowExecutionRecord[] = [];
  let page = Number(query.get('page') ?? 0) || 0;
  let filter: Filter = (query.get('filter') as Filter) ?? 'all';

  const filterSelect = h(
    'select',
    { 'aria-label': 'show executions' },
    (['all', 'live', 'failed', 'finished'] as const).map((f) =>
      h('option', { value: f, selected: f === filter }, f),
    ),
  );
  filterSelect.addEventListener('change', () => {
    filter = filterSelect.value as Filter;
    page = 0;
    render();
  });
  const button = (label: string, run: () => Promise<unknown>) => {
    const b = h('button', { type: 'button', 'data-action': label.toLowerCase().replace(/ /g, '-') }, label);
    b.addEventListener('click', () => void run().catch((error) => reportError(message, error)));
    return b;
  };
  const actions = h(
    'div',
    { class: 'actions' },
    button('Start', async () => {
      const { id } = await connection.call<{ id: number }>('workflowExecution.start', ref);
      location.hash = href('execution', id);
    }),
    button('Enable', () => connection.call('workflow.enable', ref).then(loadWorkflow)),
    button('Disable', () => connection.call('workflow.disable', ref).then(loadWorkflow)),
    button('Stop all', async () => {
      if (confirm(`Stop every running execution of ${namespace}/${name}?`)) {
        await connection.call('workflowExecution.stopAll', ref);
      }
    }),
  );

  const element = h(
    'section',
    { class: 'page', 'data-page': 'workflow' },
    h('h1', {}, h('a', { href: '#/workflows' }, 'Workflows'), ' / ', `${namespace} / ${name}`),
    message,
    actions,
    info,
    h('h2', {}, 'Tasks'),
    graph,
    h('h2', {}, 'Executions ', filterSelect),
    h(
      'table',
      { class: 'grid', 'data-executions': '' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['#', 'Status', 'Run type', 'Begin', 'Duration'].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      rows,
    ),
    pager,
  );

  const render = frameThrottle(() => {
    const shown = executions.filter((e) =>
      filter === 'all'
        ? true
        : filter === 'live'
          ? LIVE_STATUSES.has(e.status)
          : filter === 'failed'
            ? e.status === 'failed'
            : !LIVE_STATUSES.has(e.status),
    );
    const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
    page = Math.min(page, pages - 1);
    replace(
      rows,
      shown
        .slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE)
        .map((e) =>
          h(
            'tr',
            { 'data-execution': e.id },
            h('td', {}, h('a', { href: href('execution', e.id) }, `#${e.id}`)),
            h('td', {}, statusBadge(e.status)),
            h('td', {}, e.runType),
            h('td', {}, formatTime(e.beginTime)),
            h('td', {}, formatDuration((e.endTime ?? Date.now()) - e.beginTime)),
          ),
        ),
    );
    const go = (to: number) => {
      const b = h(
        'button',
        { type: 'button', disabled: to < 0 || to >= pages },
        to < page ? '‹ newer' : 'older ›',
      );
      b.addEventListener('click', () => {
        page = to;
        render();
      });
      return b;
    };
    replace(pager, go(page - 1), ` page ${page + 1} of ${pages} (${shown.length} executions) `, go(page + 1));
  });

  function loadWorkflow(): Promise<void> {
    return connection
      .call<WorkflowRecord & { spec?: WorkflowSpec }>('workflow.show', ref)
      .then(async (workflow) => {
        const [schedules, triggers] = await Promise.all([
          connection.call<WorkflowScheduleInfo[]>('workflowSchedule.list', ref).catch(() => []),
          connection.call<WorkflowTriggerInfo[]>('workflowTrigger.list', ref).catch(() => []),
        ]);
        replace(
          info,
          h(
            'dl',
            {},
            h('dt', {}, 'Enabled'),
            h(
              'dd',
              { 'data-enabled': String(workflow.enabled) },
              workflow.enabled ? 'yes' : 'no (cannot be started)',
            ),
            h('dt', {}, 'Snapshot'),
            h('dd', {}, `${workflow.snapshotId} (uploaded ${formatTime(workflow.updateTime)})`),
            h('dt', {}, 'Schedules'),
            h(
              'dd',
              {},
              schedules.length === 0
                ? '—'
                : schedules.map((s) =>
                    h(
                      'div',
                      {},
                      h('code', {}, s.expression),
                      ` ${s.description}; next ${formatTime(s.nextRunTime)}`,
                    ),
                  ),
            ),
            h('dt', {}, 'Triggers'),
            h(
              'dd',
              {},
              triggers.length === 0
                ? '—'
                : triggers.map((t) =>
                    h('div', {}, h('code', {}, JSON.stringify(t.condition)), t.paused ? ' paused' : ''),
                  ),
            ),
          ),
        );
        if (workflow.spec) replace(graph, taskGraph(workflow.spec));
      })
      .catch((error) => reportError(message, error));
  }

  let reload: ReturnType<typeof setTimeout> | undefined;
  function loadExecutions(): void {
    clearTimeout(reload);
    reload = undefined;
    connection
      .call<WorkflowExecutionRecord[]>('workflowExecution.list', ref)
      .then((list) => {
        executions = [...list].sort((a, b) => b.id - a.id);
        element.dataset.loaded = 'true';
        render();
      })
      .catch((error) => reportError(message, error));
  }
  // Live: a status event updates its row; an execution not listed yet reloads the list (at most once a second).
  const unsubscribe = connection.subscribe(`ns/${namespace}/$workflow/${name}`, (event) => {
    const context = statusContext<WorkflowStatusContext>(event.context);
    const known = context && executions.find((e) => e.id === context.workflowExecutionId);
    if (known && context) {
      known.status = context.status;
      if (!LIVE_STATUSES.has(context.status)) known.endTime ??= event.createTime;
      render();
    } else reload ??= setTimeout(loadExecutions, 1000);
  });
  const offReconnect = connection.onReconnect(loadExecutions);
  void loadWorkflow();
  loadExecutions();
  return {
    element,
    dispose: () => {
      unsubscribe();
      offReconnect();
      clearTimeout(reload);
    },
  };
}
