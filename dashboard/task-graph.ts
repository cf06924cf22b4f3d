import type { ConditionSpec, TaskSpec, WorkflowSpec } from './api.ts';
import { svg } from './dom.ts';

const NODE_WIDTH = 190;
const HEADER = 26;
const BADGE = 16;
const GAP_X = 90;
const GAP_Y = 26;

interface Edge {
  from: string;
  to: string;
  label: string;
}

/** What a rule shows: edges from the tasks whose statuses it waits for, badges for events and custom conditions. */
function describe(task: TaskSpec): { edges: Edge[]; badges: string[] } {
  const edges: Edge[] = [];
  const badges: string[] = [];
  const visit = (condition: ConditionSpec, action: string) => {
    switch (condition.type) {
      case 'taskStatus':
        for (const t of condition.tasks) {
          const label = action === 'START' && t.status === 'success' ? 'after' : `${action} on ${t.status}`;
          edges.push({ from: t.task, to: task.name, label });
        }
        return;
      case 'event':
        badges.push(
          `${action} on event ${condition.key}${condition.value === undefined ? '' : `=${condition.value}`}`,
        );
        return;
      case 'custom':
        badges.push(`${action} when condition ${condition.path} (keys: ${condition.keys.join(', ')})`);
        return;
      case 'any':
      case 'all':
        for (const c of condition.conditions) visit(c, action);
    }
  };
  for (const rule of task.rules) visit(rule.condition, rule.action.toUpperCase());
  if (task.periodic) badges.push(`periodic ${task.periodic}`);
  return { edges, badges };
}

/** Longest-path layers over the task edges (a cycle of RESTART rules stops at the task count). */
function layers(tasks: TaskSpec[], edges: Edge[]): Map<string, number> {
  const layer = new Map(tasks.map((t) => [t.name, 0]));
  for (let round = 0; round < tasks.length; round++) {
    let changed = false;
    for (const e of edges) {
      const next = (layer.get(e.from) ?? 0) + 1;
      if (e.from !== e.to && layer.has(e.to) && next > layer.get(e.to)! && next < tasks.length) {
        layer.set(e.to, next);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return layer;
}

/**
 * The workflow's tasks as an SVG graph, left to right: an edge per task-status rule (`after` for `startAfter`),
 * event and custom-condition rules as badges in the task's box. `statuses` colours the tasks of an execution.
 */
export function taskGraph(spec: WorkflowSpec, statuses: ReadonlyMap<string, string> = new Map()): SVGElement {
  const described = new Map(spec.tasks.map((t) => [t.name, describe(t)]));
  const edges = [...described.values()].flatMap((d) => d.edges);
  const layer = layers(spec.tasks, edges);
  const columns: TaskSpec[][] = [];
  for (const task of spec.tasks) (columns[layer.get(task.name) ?? 0] ??= []).push(task);
  const boxes = new Map<string, { x: number; y: number; height: number }>();
  let height = 0;
  columns.forEach((column, i) => {
    let y = 10;
    for (const task of column ?? []) {
      const boxHeight = HEADER + described.get(task.name)!.badges.length * BADGE + 6;
      boxes.set(task.name, { x: 10 + i * (NODE_WIDTH + GAP_X), y, height: boxHeight });
      y += boxHeight + GAP_Y;
    }
    height = Math.max(height, y);
  });
  const width = 20 + columns.length * (NODE_WIDTH + GAP_X) - GAP_X;
  const root = svg('svg', {
    class: 'task-graph',
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    'aria-label': `graph of ${spec.tasks.length} tasks`,
  });
  root.append(
    svg(
      'defs',
      {},
      svg(
        'marker',
        {
          id: 'arrow',
          viewBox: '0 0 10 10',
          refX: 10,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: 'auto',
        },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow' }),
      ),
    ),
  );
  for (const e of edges) {
    const a = boxes.get(e.from);
    const b = boxes.get(e.to);
    if (!a || !b) continue;
    const x1 = a.x + NODE_WIDTH;
    const y1 = a.y + HEADER / 2;
    const x2 = b.x;
    const y2 = b.y + HEADER / 2;
    const bend = Math.max(40, Math.abs(x2 - x1) / 2);
    root.append(
      svg(
        'g',
        { class: 'edge', 'data-from': e.from, 'data-to': e.to },
        svg('path', {
          d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`,
          'marker-end': 'url(#arrow)',
        }),
        svg('text', { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 4, 'text-anchor': 'middle' }, e.label),
      ),
    );
  }
  for (const task of spec.tasks) {
    const box = boxes.get(task.name)!;
    const status = statuses.get(task.name);
    root.append(
      svg(
        'g',
        {
          class: `node${status ? ` status-${status}` : ''}`,
          'data-task': task.name,
          'data-status': status ?? '',
        },
        svg('rect', { x: box.x, y: box.y, width: NODE_WIDTH, height: box.height, rx: 6 }),
        svg('text', { x: box.x + 8, y: box.y + 17, class: 'name' }, task.name, status ? ` · ${status}` : ''),
        described
          .get(task.name)!
          .badges.map((badge, i) =>
            svg(
              'text',
              { x: box.x + 8, y: box.y + HEADER + 10 + i * BADGE, class: 'badge' },
              truncate(badge, 30),
            ),
          ),
        svg('title', {}, [task.name, ...described.get(task.name)!.badges].join('\n')),
      ),
    );
  }
  return root;
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : text.slice(0, length - 1) + '…';
}
