/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), for tests: every line must be a HELP,
 * a TYPE, a blank line or a sample of the family its TYPE declared; anything else throws with the line number.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_NAME = '[a-zA-Z_][a-zA-Z0-9_]*';
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
const LABEL = new RegExp(`^(${LABEL_NAME})="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"(,|$)`);

/** The suffixes a sample of a family of this type may add to the family's name. */
const SUFFIXES: Record<MetricFamily['type'], string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  let current: MetricFamily | null = null;
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw new Error('the exposition must end with a newline');
  lines.forEach((line, i) => {
    const fail = (why: string): never => {
      throw new Error(`line ${i + 1}: ${why}: ${JSON.stringify(line)}`);
    };
    if (line === '') return;
    const help = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line);
    if (help) {
      const family = familyOf(families, help[1]!);
      if (family.help !== '') fail('second HELP for the family');
      family.help = help[2]!;
      return;
    }
    const type = new RegExp(`^# TYPE (${NAME}) (\\w+)$`).exec(line);
    if (type) {
      if (!TYPES.has(type[2]!)) fail('unknown type');
      current = familyOf(families, type[1]!);
      if (current.samples.length > 0) fail('TYPE after samples');
      current.type = type[2] as MetricFamily['type'];
      return;
    }
    if (line.startsWith('#')) return fail('unknown comment');
    const sample = SAMPLE.exec(line) ?? fail('not a sample');
    const [, name, labelText, valueText] = sample;
    if (!current) return fail('sample before any TYPE');
    const family: MetricFamily = current;
    if (!SUFFIXES[family.type].some((suffix) => name === family.name + suffix)) {
      fail(`sample outside its family ${family.name}`);
    }
    const value = parseValue(valueText!) ?? fail('bad value');
    family.samples.push({ name: name!, labels: parseLabels(labelText ?? '', fail), value });
  });
  return families;
}

/** The sum of the samples named `name` whose labels include `labels` (0 when there is none). */
export function sampleSum(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  let sum = 0;
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => sample.labels[k] === v)) sum += sample.value;
    }
  }
  return sum;
}

function familyOf(families: Map<string, MetricFamily>, name: string): MetricFamily {
  let family = families.get(name);
  if (!family) families.set(name, (family = { name, type: 'untyped', help: '', samples: [] }));
  return family;
}

function parseValue(text: string): number | null {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const value = Number(text);
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) && !Number.isNaN(value) ? value : null;
}

function parseLabels(text: string, fail: (why: string) => never): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest !== '') {
    const label = LABEL.exec(rest) ?? fail('bad label');
    const [whole, name, escaped] = label;
    if (name! in labels) fail(`label ${name} twice`);
    labels[name!] = escaped!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(whole.length);
  }
  return labels;
}
