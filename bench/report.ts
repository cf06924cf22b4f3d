/** Figures, their ratios to a baseline of the same run, and the markdown that shows them. */
import type { Spread } from './stats.ts';

/** One reported figure: what was measured (min / median / max over rounds), beside its baseline. */
export interface Figure {
  label: string;
  /** What was measured: `server start`, a workflow, ... */
  subject: string;
  unit: string;
  value: Spread | null;
  baseline?: { label: string; value: Spread | null };
  /** value / baseline, medians; null when either is missing. */
  ratio: number | null;
  /** The product's target for this figure, and whether this run meets it (null: not measured). */
  target?: { text: string; met: boolean | null };
  /** The command that reproduces it. */
  command: string;
}

export interface Table {
  title: string;
  header: string[];
  rows: string[][];
}

/** What a section of the benchmark hands back. */
export interface SectionResult {
  figures: Figure[];
  tables: Table[];
  /** Measurements that could not be made (a time-out, a crash): the run then exits non-zero. */
  failures: string[];
  data: Record<string, unknown>;
}

export function ratioOf(value: Spread | null, baseline: Spread | null | undefined): number | null {
  if (!value || !baseline || !Number.isFinite(value.median) || !Number.isFinite(baseline.median)) return null;
  return baseline.median === 0 ? null : value.median / baseline.median;
}

/** A target on the ratio: `at most` / `at least` `limit` times the baseline. */
export function ratioTarget(ratio: number | null, bound: 'at most' | 'at least', limit: number) {
  const met = ratio === null ? null : bound === 'at most' ? ratio <= limit : ratio >= limit;
  return { text: `${bound === 'at most' ? '≤' : '≥'} ${limit}×`, met };
}

export const fixed = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
export const int = (value: number) =>
  Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';

/** A number with a precision that suits its size: 12,345 / 123 / 12.3 / 1.23. */
export function amount(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const size = Math.abs(value);
  return size >= 1000
    ? int(value)
    : size >= 100
      ? value.toFixed(0)
      : size >= 10
        ? value.toFixed(1)
        : value.toFixed(2);
}

const spreadText = (s: Spread | null | undefined) =>
  s ? `${amount(s.min)} / **${amount(s.median)}** / ${amount(s.max)}` : 'not measured';

export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map((r) => line(header.map((_, i) => r[i] ?? '')))].join('\n');
}

export function figuresTable(figures: Figure[]): string {
  const header = ['figure', 'measured', 'min / median / max', 'baseline (median)', 'ratio', 'target', ''];
  const rows = figures.map((f) => [
    `${f.label} (${f.unit})`,
    f.subject,
    spreadText(f.value),
    f.baseline ? `${f.baseline.label}: ${f.baseline.value ? amount(f.baseline.value.median) : 'n/a'}` : '',
    f.ratio === null ? (f.baseline ? 'n/a' : '') : `${f.ratio.toFixed(2)}×`,
    f.target?.text ?? '',
    f.target ? (f.target.met === null ? 'n/a' : f.target.met ? 'PASS' : 'MISS') : '',
  ]);
  return markdownTable(header, rows);
}

export function tableText(table: Table): string {
  return `${table.title}\n\n${markdownTable(table.header, table.rows)}`;
}
