import { describeTaskAction } from '../protocol/task-action-text.ts';
import type { TaskActionInfo } from '../protocol/task-actions.ts';
import { h } from './dom.ts';

/**
 * The "why" of a task execution: every START, STOP and RESTART taken on it, in order, each with its cause in the
 * words `aiflow task-execution show` prints (`started by rule 0 actionOnEventReceived(START, "go") on event 12 go
 * from sensor-7 at …`).
 */
export function actionsSlot(actions: readonly TaskActionInfo[] | undefined): HTMLElement {
  const list = actions ?? [];
  return h(
    'div',
    { class: 'why', 'data-slot': 'cause', 'data-count': list.length },
    list.length === 0
      ? h('span', { class: 'muted' }, '—')
      : list.map((action) => h('div', { class: 'why-action' }, describeTaskAction(action))),
  );
}
