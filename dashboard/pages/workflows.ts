import type {
  Event,
  WorkflowExecutionRecord,
  WorkflowRecord,
  WorkflowScheduleInfo,
  WorkflowTriggerInfo,
  WorkflowStatusContext,
} from '../api.ts';
import { statusContext } from '../api.ts';
import { formatTime, h, replace } from '../dom.ts';
import { reportError, type Page, type PageContext } from '../page.ts';
import { href } from '../route.ts';
import { statusBadge, statusLegend, statusShape } from '../status.ts';

/**
 * Every workflow of every namespace: enabled, schedules with their next run, triggers, the last execution's status
 * (live, from the retained `$workflow/<name>` status topics: no request), and start / enable / disable.
 */
export function workflowsPage({ connection, permissions }: PageContext): Page {
  const message = h('p', { class: 'message error', role: 'alert', hidden: true });
  const body = h('tbody');
  const lastRun = new Map<string, HTMLElement>();
  const element = h(
    'section',
    { class: 'page', 'data-page': 'workflows' },
    h('h1', {}, 'Workflows'),
    message,
    h(
      'table',
      { class: 'grid' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [
            'Namespace',
            'Workflow',
            'Enabled',
            'Last execution',
            'Recent runs',
            'Schedules (next run)',
            'Triggers',
            'Actions',
          ].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      body,
    ),
    statusLegend(),
  );

  const cellOf = (namespace: string, workflow: string) => {
    const id = `${namespace}\u0000${workflow}`;
    let cell = lastRun.get(id);
    if (!cell) lastRun.set(id, (cell = h('td', { class: 'last-run' }, '—')));
    return cell;
  };
  const showLast = (event: Event) => {
    const context = statusContext<WorkflowStatusContext>(event.context);
    if (!context) return;
    replace(
      cellOf(event.namespace, context.workflow),
      h('a', { href: href('execution', context.workflowExecutionId) }, `#${context.workflowExecutionId} `),
      statusBadge(context.status),
      h('span', { class: 'muted' }, ' ', formatTime(event.createTime)),
    );
  };
  const unsubscribe = connection.subscribe('ns/+/$workflow/+', showLast);

  const row = (workflow: WorkflowRecord): HTMLElement => {
    const ref = { namespace: workflow.namespace, workflow: workflow.name };
    const recent = h('td', { class: 'strip' }, '…');
    const schedules = h('td', {}, '…');
    const triggers = h('td', {}, '…');
    const act = (label: string, run: () => Promise<unknown>) => {
      const button = h('button', { type: 'button', 'data-action': label.toLowerCase() }, label);
      button.addEventListener('click', () => {
        button.disabled = true;
        run()
          .catch((error) => reportError(message, error))
          .finally(() => (button.disabled = false));
      });
      return button;
    };
    const operator = permissions.allows('operator', workflow.namespace);
    const start = act('Start', async () => {
      const { id } = await connection.call<{ id: number }>('workflowExecution.start', ref);
      location.hash = href('execution', id);
    });
    const toggle = act(workflow.enabled ? 'Disable' : 'Enable', async () => {
      await connection.call(workflow.enabled ? 'workflow.disable' : 'workflow.enable', ref);
      load();
    });
    // The last 10 executions, oldest to newest, as status shapes: a glance at how the workflow has been doing.
    void connection
      .call<WorkflowExecutionRecord[]>('workflowExecution.list', { ...ref, limit: 10 })
      .then((list) =>
        replace(
          recent,
          list.length === 0
            ? '—'
            : list
                .reverse()
                .map((e) =>
                  h(
                    'a',
                    { href: href('execution', e.id), title: `#${e.id} ${e.status}` },
                    statusShape(e.status),
                  ),
                ),
        ),
      )
      .catch(() => replace(recent, '?'));
    void connection
      .call<WorkflowScheduleInfo[]>('workflowSchedule.list', ref)
      .then((list) =>
        replace(
          schedules,
          list.length === 0
            ? '—'
            : list.map((s) =>
                h(
                  'div',
                  {},
                  h('code', {}, s.expression),
                  ' ',
                  s.paused ? '(paused)' : `next ${formatTime(s.nextRunTime)}`,
                ),
              ),
        ),
      )
      .catch(() => replace(schedules, '?'));
    void connection
      .call<WorkflowTriggerInfo[]>('workflowTrigger.list', ref)
      .then((list) =>
        replace(
          triggers,
          list.length === 0
            ? '—'
            : list.map((t) =>
                h(
                  'div',
                  {},
                  t.condition.type === 'event' ? h('code', {}, t.condition.key) : t.condition.type,
                  t.condition.type === 'event' && t.condition.value !== undefined
                    ? ` = ${t.condition.value}`
                    : '',
                  t.paused ? ' (paused)' : '',
                ),
              ),
        ),
      )
      .catch(() => replace(triggers, '?'));
    return h(
      'tr',
      { 'data-workflow': workflow.name, 'data-namespace': workflow.namespace },
      h('td', {}, workflow.namespace),
      h('td', {}, h('a', { href: href('workflow', workflow.namespace, workflow.name) }, workflow.name)),
      h('td', {}, workflow.enabled ? 'yes' : h('strong', {}, 'disabled')),
      cellOf(workflow.namespace, workflow.name),
      recent,
      schedules,
      triggers,
      h('td', { class: 'actions' }, operator ? start : null, operator ? toggle : null),
    );
  };

  function load(): void {
    connection
      .call<{ name: string }[]>('namespace.list')
      .then((namespaces) =>
        Promise.all(
          namespaces.map((n) => connection.call<WorkflowRecord[]>('workflow.list', { namespace: n.name })),
        ),
      )
      .then((lists) => {
        const workflows = lists.flat();
        replace(
          body,
          workflows.length === 0
            ? h('tr', {}, h('td', { colspan: 8 }, 'No workflow yet: aiflow workflow upload FILE'))
            : workflows.map(row),
        );
        element.dataset.loaded = 'true';
      })
      .catch((error) => reportError(message, error));
  }
  load();
  return { element, dispose: unsubscribe };
}
