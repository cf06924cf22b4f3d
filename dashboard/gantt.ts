import type { TaskExecutionRecord } from './api.ts';
import { formatDuration, svg } from './dom.ts';

const ROW = 22;
const LABEL = 150;
const WIDTH = 900;
const MAX_BARS = 500;

/**
 * A bar per task execution (a task run again, by a RESTART or a periodic tick, gets a bar per sequence), grouped by
 * task in first-start order; a live bar grows to `now`; the latest 500 are drawn. Tries show as the `try N` label: the record keeps one
 * begin time per task execution, not one per try.
 */
export function gantt(taskExecutions: readonly TaskExecutionRecord[], now: number): SVGElement {
  // A periodic task runs again at every tick: only the latest bars are drawn, so the chart stays light.
  const sorted = [...taskExecutions]
    .sort((a, b) => a.beginTime - b.beginTime || a.id - b.id)
    .slice(-MAX_BARS);
  const order: string[] = [];
  for (const t of sorted) if (!order.includes(t.task)) order.push(t.task);
  const start = sorted[0]?.beginTime ?? now;
  const end = Math.max(start + 1, ...sorted.map((t) => t.endTime ?? now));
  // Room on the right for the last bar's label.
  const scale = (WIDTH - LABEL - 110) / (end - start);
  const height = order.length * ROW + 24;
  const root = svg('svg', {
    class: 'gantt',
    viewBox: `0 0 ${WIDTH} ${height}`,
    width: '100%',
    role: 'img',
    'aria-label': `timeline of ${sorted.length} task executions over ${formatDuration(end - start)}`,
  });
  order.forEach((task, i) =>
    root.append(
      svg(
        'text',
        { x: 4, y: i * ROW + 15, class: 'label' },
        task.length > 20 ? task.slice(0, 19) + '…' : task,
      ),
    ),
  );
  // Only a row's last bar is labelled in text (earlier runs would be covered by the next bar); each has a tooltip.
  const lastOfRow = new Map(sorted.map((t) => [t.task, t.id]));
  for (const t of sorted) {
    const row = order.indexOf(t.task);
    const x = LABEL + (t.beginTime - start) * scale;
    const width = Math.max(2, ((t.endTime ?? now) - t.beginTime) * scale);
    const tries = t.attempt > 1 ? ` try ${t.attempt}` : '';
    root.append(
      svg(
        'g',
        { class: `bar status-${t.status}`, 'data-task-execution': t.id },
        svg('rect', { x, y: row * ROW + 3, width, height: ROW - 6, rx: 3 }),
        lastOfRow.get(t.task) === t.id
          ? svg('text', { x: x + width + 4, y: row * ROW + 15, class: 'bar-label' }, `${t.status}${tries}`)
          : null,
        svg(
          'title',
          {},
          `${t.task} #${t.sequence}: ${t.status}${tries}, ${formatDuration((t.endTime ?? now) - t.beginTime)}` +
            (t.reason ? ` (${t.reason})` : ''),
        ),
      ),
    );
  }
  root.append(
    svg('text', { x: LABEL, y: height - 6, class: 'axis' }, '0'),
    svg(
      'text',
      { x: WIDTH - 10, y: height - 6, class: 'axis', 'text-anchor': 'end' },
      formatDuration(end - start),
    ),
  );
  return root;
}
