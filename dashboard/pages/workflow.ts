import { describeRule } from '../../cli/commands/workflow-description.ts';
import { describeCondition } from '../../workflow/rule-text.ts';
import type {
  ConditionSpec,
  TaskSpec,
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
import { href, setRouteQuery } from '../route.ts';
import { LIVE_STATUSES, statusBadge } from '../status.ts';
import { taskGraph } from '../task-graph.ts';

const PAGE_SIZE = 50;
type Filter = 'all' | 'live' | 'failed' | 'finished';
/** The statuses each filter asks the server for (it pages and filters: 10,000 executions never travel at once). */
const FILTER_STATUSES: Record<Filter, string[]> = {
  all: [],
  live: ['init', 'running', 'stopping'],
  failed: ['failed'],
  finished: ['success', 'failed', 'stopped'],
};

/**
 * One workflow: its task graph, schedules and triggers, and its executions (pages of 50 from the server, newest
 * first, with an id cursor; rows on the page follow their status events).
 */
export function workflowPage({ connection, permissions, params, query }: PageContext): Page {
  const [namespace = 'default', name = ''] = params;
  const ref = { namespace, workflow: name };
  const message = h('p', { class: 'message error', role: 'alert', hidden: true });
  const graph = h('div', { class: 'graph-box' });
  const rules = h('ul', { class: 'rules' });
  const info = h('div', { class: 'info' });
  const rows = h('tbody');
  const pager = h('div', { class: 'pager' });
  let executions: WorkflowExecutionRecord[] = [];
  /** Live executions ticked for "Stop selected" (kept across pages and redraws). */
  const selected = new Set<number>();
  const selectBox = (id: number) => {
    const box = h('input', {
      type: 'checkbox',
      'aria-label': `select execution ${id}`,
      checked: selected.has(id),
    });
    box.addEventListener('change', () => (box.checked ? selected.add(id) : selected.delete(id)));
    return box;
  };
  /** The cursors of the pages before this one (`beforeId` of each); empty on the first page. */
  const cursors: (number | undefined)[] = [];
  let cursor: number | undefined;
  let filter: Filter = (query.get('filter') as Filter | null) ?? 'all';
  if (!(filter in FILTER_STATUSES)) filter = 'all';

  const filterSelect = h(
    'select',
    { 'aria-label': 'show executions' },
    (['all', 'live', 'failed', 'finished'] as const).map((f) =>
      h('option', { value: f, selected: f === filter }, f),
    ),
  );
  filterSelect.addEventListener('change', () => {
    filter = filterSelect.value as Filter;
    setRouteQuery('filter', filter === 'all' ? null : filter);
    cursors.length = 0;
    cursor = undefined;
    loadExecutions();
  });
  // Every action here needs operator: left out for a caller without it.
  const button = (label: string, run: () => Promise<unknown>) => {
    if (!permissions.allows('operator', namespace)) return null;
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
    button('Stop selected', async () => {
      const ids = [...selected].sort((a, b) => a - b);
      if (ids.length === 0 || !confirm(`Stop executions ${ids.map((id) => `#${id}`).join(', ')} of ${name}?`))
        return;
      await Promise.all(
        ids.map((id) => connection.call('workflowExecution.stop', { workflowExecutionId: id })),
      );
      selected.clear();
    }),
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
    h('h2', {}, 'Rules, in declaration order'),
    rules,
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
    replace(
      rows,
      executions.map((e) =>
        h(
          'tr',
          { 'data-execution': e.id },
          h(
            'td',
            {},
            LIVE_STATUSES.has(e.status) ? selectBox(e.id) : null,
            h('a', { href: href('execution', e.id) }, `#${e.id}`),
          ),
          h('td', {}, statusBadge(e.status)),
          h('td', {}, e.runType),
          h('td', {}, formatTime(e.beginTime)),
          h('td', {}, formatDuration((e.endTime ?? Date.now()) - e.beginTime)),
        ),
      ),
    );
    const newer = h('button', { type: 'button', disabled: cursors.length === 0 }, '‹ newer');
    newer.addEventListener('click', () => {
      cursor = cursors.pop();
      loadExecutions();
    });
    const last = executions.at(-1);
    const older = h(
      'button',
      { type: 'button', disabled: executions.length < PAGE_SIZE || !last },
      'older ›',
    );
    older.addEventListener('click', () => {
      cursors.push(cursor);
      cursor = last?.id;
      loadExecutions();
    });
    const first = executions[0];
    replace(
      pager,
      newer,
      executions.length === 0
        ? ' no execution '
        : ` page ${cursors.length + 1}: #${first?.id} to #${last?.id} `,
      older,
    );
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
                    h(
                      'div',
                      {},
                      describeCondition(t.condition as ConditionSpec),
                      t.paused ? ' (paused)' : '',
                    ),
                  ),
            ),
          ),
        );
        if (workflow.spec) {
          replace(graph, taskGraph(workflow.spec));
          replace(rules, workflow.spec.tasks.map(ruleList));
        }
      })
      .catch((error) => reportError(message, error));
  }

  let reload: ReturnType<typeof setTimeout> | undefined;
  function loadExecutions(): void {
    clearTimeout(reload);
    reload = undefined;
    const statuses = FILTER_STATUSES[filter];
    connection
      .call<WorkflowExecutionRecord[]>('workflowExecution.list', {
        ...ref,
        limit: PAGE_SIZE,
        ...(cursor === undefined ? {} : { beforeId: cursor }),
        ...(statuses.length ? { statuses } : {}),
      })
      .then((list) => {
        executions = list;
        element.dataset.loaded = 'true';
        render();
      })
      .catch((error) => reportError(message, error));
  }
  // Live: a status event updates its row; a new execution reloads the first page (at most once a second).
  const unsubscribe = connection.subscribe(`ns/${namespace}/$workflow/${name}`, (event) => {
    const context = statusContext<WorkflowStatusContext>(event.context);
    const known = context && executions.find((e) => e.id === context.workflowExecutionId);
    if (known && context) {
      known.status = context.status;
      if (!LIVE_STATUSES.has(context.status)) known.endTime ??= event.createTime;
      render();
    } else if (context && cursors.length === 0 && context.workflowExecutionId > (executions[0]?.id ?? 0)) {
      reload ??= setTimeout(loadExecutions, 1000);
    }
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

/** A task and its rules in words, as `aiflow workflow show` writes them (`b: START when a is success`). */
function ruleList(task: TaskSpec): HTMLElement {
  const operator = task.operator.type === 'bash' ? task.operator.command : 'function';
  const starts = task.rules.some((rule) => rule.action === 'start');
  return h(
    'li',
    { 'data-task': task.name },
    h('strong', {}, task.name),
    ' ',
    h('code', {}, operator),
    h(
      'ul',
      {},
      starts ? null : h('li', {}, `${task.name}: START with the workflow execution`),
      task.rules.map((rule) => h('li', {}, describeRule(task.name, rule))),
    ),
  );
}
