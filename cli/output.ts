import { createRequire } from 'node:module';
import { AIFlowError } from '../protocol/errors.ts';
import type { Event } from '../protocol/event.ts';

/**
 * The YAML library, loaded on first use (synchronously, through its CommonJS build): only `-o yaml` needs it, and
 * every other command starts faster without it.
 */
function yaml(): typeof import('yaml') {
  return createRequire(import.meta.url)('yaml') as typeof import('yaml');
}

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function parseOutputFormat(value: string): OutputFormat {
  if ((OUTPUT_FORMATS as readonly string[]).includes(value)) return value as OutputFormat;
  throw new AIFlowError(
    'INVALID_OPTION',
    `output format must be one of ${OUTPUT_FORMATS.join(', ')}, got ${value}`,
  );
}

/** Renders rows as an aligned text table with a header line. */
export function table(columns: string[], rows: string[][]): string {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns), ...rows.map(line)].join('\n') + '\n';
}

const EVENT_COLUMNS = ['OFFSET', 'KEY', 'VALUE', 'NAMESPACE', 'SENDER', 'CONTEXT', 'CREATE TIME'];

function eventRow(e: Event): string[] {
  return [
    String(e.offset),
    e.key,
    oneLine(e.value),
    e.namespace,
    e.sender,
    oneLine(e.context ?? ''),
    new Date(e.createTime).toISOString(),
  ];
}

function oneLine(text: string, max = 60): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Formats data for stdout: `json` and `yaml` print the data as is; `table` uses the given renderer. */
export function render(format: OutputFormat, data: unknown, asTable: () => string): string {
  if (format === 'json') return JSON.stringify(data, null, 2) + '\n';
  if (format === 'yaml') return yaml().stringify(data);
  return asTable();
}

export function renderEvents(format: OutputFormat, events: Event[]): string {
  return render(format, events, () => table(EVENT_COLUMNS, events.map(eventRow)));
}

/** One event as it arrives (`event listen`): a table row, one JSON document per line, or one YAML document. */
export function renderStreamedEvent(format: OutputFormat, event: Event, first: boolean): string {
  if (format === 'json') return JSON.stringify(event) + '\n';
  if (format === 'yaml') return '---\n' + yaml().stringify(event);
  const rendered = table(EVENT_COLUMNS, [eventRow(event)]).split('\n');
  return (first ? rendered.slice(0, 2) : rendered.slice(1, 2)).join('\n') + '\n';
}

/** One column of a record table: its header and how to print a record's cell. */
export type Column<T> = [header: string, cell: (record: T) => unknown];

/** Records as a table (chosen columns), or as JSON / YAML (the whole records). */
export function renderRecords<T>(format: OutputFormat, records: T[], columns: Column<T>[]): string {
  return render(format, records, () =>
    table(
      columns.map(([header]) => header),
      records.map((r) => columns.map(([, cell]) => formatCell(cell(r)))),
    ),
  );
}

/** One record: a two-column table of its fields, or JSON / YAML. */
export function renderRecord(format: OutputFormat, record: object): string {
  return render(format, record, () =>
    table(
      ['FIELD', 'VALUE'],
      Object.entries(record)
        .filter(([, value]) => typeof value !== 'object' || value === null)
        .map(([field, value]) => [field, formatCell(value)]),
    ),
  );
}

export const time = (ms: unknown) => (typeof ms === 'number' && ms > 0 ? new Date(ms).toISOString() : '');

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  return oneLine(String(value));
}
