/**
 * Schedule expressions of workflow schedules and periodic tasks. Two forms, nothing else:
 *
 * - `cron@<minute> <hour> <day-of-month> <month> <day-of-week> [<time zone>]`: a standard 5-field crontab line,
 *   optionally followed by an IANA time zone (`cron@0 9 * * 1-5 Europe/Paris`).
 * - `interval@<days> <hours> <minutes> <seconds>`: a fixed period.
 *
 * Parsing is strict and every rejection is an `AIFlowError('INVALID_SCHEDULE')` with a one-line message naming the
 * offending part. Expressions are plain JSON-serialisable objects so they can be stored and sent as they are.
 */
import { AIFlowError } from '../../protocol/errors.ts';

/** A parsed `cron@…` expression. Value lists are sorted ascending and hold no duplicates. */
export interface CronSchedule {
  readonly kind: 'cron';
  /** The expression as given, without surrounding whitespace. */
  readonly text: string;
  /** The five fields joined by single spaces, e.g. `*\/5 * * * *`. */
  readonly crontab: string;
  /** 0-59. */
  readonly minutes: readonly number[];
  /** 0-23. */
  readonly hours: readonly number[];
  /** 1-31. */
  readonly daysOfMonth: readonly number[];
  /** 1-12 (January is 1). */
  readonly months: readonly number[];
  /** 0-6 (Sunday is 0; a 7 in the text is stored as 0). */
  readonly daysOfWeek: readonly number[];
  /**
   * Vixie-cron day rule: true when neither the day-of-month nor the day-of-week field starts with `*`, and then a
   * day matches if EITHER field matches; otherwise both must match. As in Vixie cron and cronie, a field starting
   * with `*` (including `*\/2`) counts as unrestricted for this rule.
   */
  readonly daysMatchEither: boolean;
  /** The IANA time zone the fields are read in (`Europe/Paris`); absent: the server's (or UTC, see options). */
  readonly timeZone?: string;
}

/** A parsed `interval@…` expression. */
export interface IntervalSchedule {
  readonly kind: 'interval';
  /** The expression as given, without surrounding whitespace. */
  readonly text: string;
  /** The period in milliseconds, always > 0. */
  readonly everyMs: number;
}

/** What {@link parseScheduleExpression} returns; branch on `kind`. */
export type ScheduleExpression = CronSchedule | IntervalSchedule;

/** Options of {@link nextRunTime} and {@link describeSchedule}. */
export interface ScheduleTimeOptions {
  /** Evaluate cron fields in UTC instead of the server's local time zone (default false); an expression's own
   * time zone wins over both. */
  utc?: boolean;
}

const CRON_PREFIX = 'cron@';
const INTERVAL_PREFIX = 'interval@';
const FORMS =
  'expected cron@<minute hour day-of-month month day-of-week> (e.g. cron@*/5 * * * *) ' +
  'or interval@<days> <hours> <minutes> <seconds> (e.g. interval@0 0 10 0)';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
// Keeps afterMs + everyMs far inside the range of a Date; nobody schedules something once a century.
const MAX_INTERVAL_DAYS = 36_525;
/**
 * nextRunTime gives up after this many years. A parsed cron expression always runs within it: the longest possible
 * wait is Feb 29 on one given weekday, 40 years at most in the Gregorian calendar.
 */
const SEARCH_YEARS = 50;

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Three-letter names, the first one standing for `min` (Vixie cron accepts exactly these). */
  readonly names?: readonly string[];
  readonly namesHint?: string;
}

const FIELD_SPECS: readonly [FieldSpec, FieldSpec, FieldSpec, FieldSpec, FieldSpec] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
    namesHint: 'month name (JAN-DEC)',
  },
  // 0-7 so that both 0 and 7 mean Sunday, as in Vixie cron.
  {
    name: 'day-of-week',
    min: 0,
    max: 7,
    names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
    namesHint: 'day name (SUN-SAT)',
  },
];

/** Longest day of each month, February counted in a leap year: the test for dates that never exist. */
const MAX_DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/**
 * Parses a schedule expression.
 *
 * Grammar (the `cron@` / `interval@` prefixes are lower case; whitespace around the whole text is ignored; control
 * characters other than tab are rejected):
 *
 * - `cron@M H DOM MON DOW`, fields separated by spaces or tabs. Each field is a comma-separated list of items; an
 *   item is `*`, a value `a`, a range `a-b` (a <= b), or one of those followed by a step: `*\/n`, `a-b/n`, and
 *   `a/n` meaning `a-<max>/n`. Minute 0-59, hour 0-23, day of month 1-31, month 1-12 or JAN-DEC, day of week 0-7
 *   (0 and 7 are Sunday) or SUN-SAT; names are case-insensitive and allowed wherever a value is. A step is
 *   1..(number of values of the field).
 * - `interval@D H M S`: exactly four non-negative integers separated by spaces or tabs, not all zero, at most
 *   36525 days in total. Components may exceed their natural size (`interval@0 0 90 0` is 90 minutes).
 *
 * A cron expression that can never run (e.g. `cron@0 0 30 2 *`, Feb 30) is rejected here, by checking that some
 * listed day of month exists in some listed month; so {@link nextRunTime} always finds a time for a parsed
 * expression.
 *
 * @throws AIFlowError `INVALID_SCHEDULE`
 */
export function parseScheduleExpression(text: string): ScheduleExpression {
  if (typeof text !== 'string') throw invalid(String(text), FORMS);
  const trimmed = text.trim();
  // Fields are quoted as they are in messages; this keeps every message on one line.
  if (/(?!\t)\p{Cc}/u.test(trimmed)) throw invalid(trimmed, 'contains a control character');
  if (trimmed.startsWith(CRON_PREFIX)) return parseCron(trimmed, trimmed.slice(CRON_PREFIX.length));
  if (trimmed.startsWith(INTERVAL_PREFIX)) {
    return parseInterval(trimmed, trimmed.slice(INTERVAL_PREFIX.length));
  }
  throw invalid(trimmed, FORMS);
}

/**
 * The next time the schedule is due, strictly after `afterMs` (epoch milliseconds).
 *
 * - cron: the first whole minute strictly after `afterMs` whose fields match (an exact match at `afterMs` is not
 *   returned). Fields are read in the server's local time zone through the `Date` local getters, or in UTC with
 *   `{ utc: true }`. Local-time daylight saving changes: a wall-clock time skipped by a spring-forward does not
 *   run that day; a wall-clock time repeated by a fall-back runs once, at its first occurrence, unless the hour
 *   field matches every hour (then it runs in both passes, as an hourly job should).
 * - interval: `afterMs + everyMs`. Callers pass the creation (or resume) time first, so the first run is one
 *   interval after it, then the previous run time.
 *
 * The search skips whole months, days and hours that cannot match rather than scanning minutes: about one step
 * per month, day or hour visited, a few thousand for the rarest expressions (Feb 29 on a given weekday).
 *
 * @throws AIFlowError `INVALID_OPTION` if `afterMs` is not a finite number; `INVALID_SCHEDULE` if a hand-built cron
 * expression (parsed ones always run) has no run time within 50 years.
 */
export function nextRunTime(
  expression: ScheduleExpression,
  afterMs: number,
  options: ScheduleTimeOptions = {},
): number {
  if (typeof afterMs !== 'number' || !Number.isFinite(afterMs)) {
    throw new AIFlowError(
      'INVALID_OPTION',
      `afterMs must be a finite number of milliseconds, got ${afterMs}`,
    );
  }
  if (expression.kind === 'interval') return afterMs + expression.everyMs;
  const calendar = expression.timeZone
    ? zoneCalendar(expression.timeZone)
    : options.utc === true
      ? UTC_CALENDAR
      : LOCAL_CALENDAR;
  return nextCronTime(expression, afterMs, calendar);
}

/**
 * A short human description for listings: `every 10 minutes`, `every 1 day 2 hours`,
 * `cron 0 * * * * (local time)` or `cron 0 * * * * (UTC)`.
 */
export function describeSchedule(expression: ScheduleExpression, options: ScheduleTimeOptions = {}): string {
  if (expression.kind === 'cron') {
    const zone = expression.timeZone ?? (options.utc === true ? 'UTC' : 'local time');
    return `cron ${expression.crontab} (${zone})`;
  }
  return `every ${describeDuration(expression.everyMs)}`;
}

// ---- cron parsing -------------------------------------------------------------------------------------------

function parseCron(text: string, body: string): CronSchedule {
  const fields = body.split(/[ \t]+/).filter((field) => field !== '');
  const timeZone = fields.length === 6 && ZONE_NAME.test(fields[5]!) ? fields.pop()! : undefined;
  if (timeZone !== undefined && !isTimeZone(timeZone)) {
    throw invalid(
      text,
      `unknown time zone "${timeZone}" (expected an IANA name such as Europe/Paris or UTC)`,
    );
  }
  if (fields.length !== 5) {
    throw invalid(
      text,
      `expected 5 fields (minute hour day-of-month month day-of-week, e.g. cron@*/5 * * * *), got ${fields.length}`,
    );
  }
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  const [minuteSpec, hourSpec, domSpec, monthSpec, dowSpec] = FIELD_SPECS;
  const daysOfWeek = parseField(text, dowSpec, dow).map((day) => (day === 7 ? 0 : day));
  const expression: CronSchedule = {
    kind: 'cron',
    text,
    crontab: fields.join(' '),
    minutes: parseField(text, minuteSpec, minute),
    hours: parseField(text, hourSpec, hour),
    daysOfMonth: parseField(text, domSpec, dom),
    months: parseField(text, monthSpec, month),
    daysOfWeek: [...new Set(daysOfWeek)].sort((a, b) => a - b),
    daysMatchEither: !dom.startsWith('*') && !dow.startsWith('*'),
    ...(timeZone === undefined ? {} : { timeZone }),
  };
  // With the OR rule the day-of-week alone finds a day in every month. Otherwise every real date falls on every
  // weekday some year, so the expression runs iff some listed day exists in some listed month.
  const possible =
    expression.daysMatchEither ||
    expression.months.some((m) => expression.daysOfMonth.some((d) => d <= (MAX_DAYS_IN_MONTH[m - 1] ?? 0)));
  if (!possible) {
    const monthNames = expression.months.map((m) => MONTH_NAMES[m - 1]).join(', ');
    throw invalid(
      text,
      `day-of-month field "${dom}" never occurs in month field "${month}" (${monthNames}), so it would never run`,
    );
  }
  return expression;
}

/** The values of one crontab field, sorted ascending without duplicates. */
function parseField(text: string, spec: FieldSpec, field: string): number[] {
  const fail = (problem: string) => invalid(text, `${spec.name} field "${field}": ${problem}`);
  const values = new Set<number>();
  for (const item of field.split(',')) {
    if (item === '') throw fail('empty list item');
    const malformed = () => fail(`"${item}" is not a value, range (a-b) or step (*/n, a-b/n, a/n)`);
    const slashParts = item.split('/');
    if (slashParts.length > 2) throw malformed();
    const [base = '', stepText] = slashParts;
    let low: number;
    let high: number;
    if (base === '*') {
      low = spec.min;
      high = spec.max;
    } else {
      const rangeParts = base.split('-');
      if (rangeParts.length > 2 || rangeParts.some((part) => part === '' || part.includes('*'))) {
        throw malformed();
      }
      const [first = '', last] = rangeParts;
      low = parseValue(spec, first, fail);
      // `a/n` runs from a to the end of the field, as in cronie.
      high = last !== undefined ? parseValue(spec, last, fail) : stepText !== undefined ? spec.max : low;
      if (low > high) throw fail(`range "${base}" is reversed (${low} > ${high})`);
    }
    let step = 1;
    if (stepText !== undefined) {
      const span = spec.max - spec.min + 1;
      if (!/^\d+$/.test(stepText)) throw fail(`step "${stepText}" is not a number`);
      step = Number(stepText);
      if (step < 1 || step > span) throw fail(`step ${stepText} is out of range 1-${span}`);
    }
    for (let value = low; value <= high; value += step) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

function parseValue(spec: FieldSpec, token: string, fail: (problem: string) => AIFlowError): number {
  if (/^\d+$/.test(token)) {
    const value = Number(token);
    if (value < spec.min || value > spec.max) throw fail(`${token} is out of range ${spec.min}-${spec.max}`);
    return value;
  }
  const index = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  if (index >= 0) return spec.min + index;
  throw fail(`"${token}" is not a number${spec.namesHint ? ` or ${spec.namesHint}` : ''}`);
}

// ---- interval parsing ---------------------------------------------------------------------------------------

const INTERVAL_UNITS = [
  { name: 'days', ms: DAY_MS },
  { name: 'hours', ms: 3_600_000 },
  { name: 'minutes', ms: MINUTE_MS },
  { name: 'seconds', ms: 1_000 },
] as const;

function parseInterval(text: string, body: string): IntervalSchedule {
  const parts = body.split(/[ \t]+/).filter((part) => part !== '');
  if (parts.length !== 4) {
    throw invalid(
      text,
      `expected 4 numbers (days hours minutes seconds, e.g. interval@0 0 10 0), got ${parts.length}`,
    );
  }
  let everyMs = 0;
  parts.forEach((part, index) => {
    const unit = INTERVAL_UNITS[index as 0 | 1 | 2 | 3];
    if (!/^\d+$/.test(part)) throw invalid(text, `${unit.name} "${part}" is not a non-negative integer`);
    everyMs += Number(part) * unit.ms;
  });
  if (everyMs === 0) throw invalid(text, 'the interval must be longer than zero');
  if (everyMs > MAX_INTERVAL_DAYS * DAY_MS) {
    throw invalid(text, `the interval is longer than ${MAX_INTERVAL_DAYS} days (100 years)`);
  }
  return { kind: 'interval', text, everyMs };
}

function describeDuration(ms: number): string {
  const pieces: string[] = [];
  let rest = ms;
  for (const unit of [...INTERVAL_UNITS, { name: 'milliseconds', ms: 1 }]) {
    const count = Math.floor(rest / unit.ms);
    rest -= count * unit.ms;
    if (count > 0) pieces.push(`${count} ${count === 1 ? unit.name.slice(0, -1) : unit.name}`);
  }
  // "every minute" reads better than "every 1 minute".
  if (pieces.length === 1 && pieces[0]?.startsWith('1 ')) return pieces[0].slice(2);
  return pieces.join(' ');
}

// ---- next run time ------------------------------------------------------------------------------------------

interface CalendarFields {
  year: number;
  /** 1-12. */
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** 0-6, Sunday 0. */
  weekday: number;
}

/** Reads and builds wall-clock times in one time zone; `make` normalises overflow (day 32 is next month). */
interface Calendar {
  fields(ms: number): CalendarFields;
  make(year: number, month: number, day: number, hour: number, minute?: number): number;
}

const UTC_CALENDAR: Calendar = {
  fields(ms) {
    const date = new Date(ms);
    return {
      year: date.getUTCFullYear(),
      month: date.getUTCMonth() + 1,
      day: date.getUTCDate(),
      hour: date.getUTCHours(),
      minute: date.getUTCMinutes(),
      weekday: date.getUTCDay(),
    };
  },
  make: (year, month, day, hour, minute = 0) => Date.UTC(year, month - 1, day, hour, minute),
};

const LOCAL_CALENDAR: Calendar = {
  fields(ms) {
    const date = new Date(ms);
    return {
      year: date.getFullYear(),
      month: date.getMonth() + 1,
      day: date.getDate(),
      hour: date.getHours(),
      minute: date.getMinutes(),
      weekday: date.getDay(),
    };
  },
  // A wall-clock time inside a spring-forward gap comes out shifted forward, a repeated one as its first instant.
  make: (year, month, day, hour, minute = 0) => new Date(year, month - 1, day, hour, minute).getTime(),
};

/** What a time zone field looks like (`UTC`, `Europe/Paris`, `America/Argentina/Buenos_Aires`, `Etc/GMT+5`). */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const zoneCalendars = new Map<string, Calendar>();

/**
 * Wall-clock times of an IANA time zone through `Intl.DateTimeFormat`, with the same daylight-saving behaviour as
 * {@link LOCAL_CALENDAR}: a time inside a spring-forward gap comes out shifted forward by the gap, a time repeated
 * by a fall-back as its first instant.
 */
function zoneCalendar(timeZone: string): Calendar {
  const cached = zoneCalendars.get(timeZone);
  if (cached) return cached;
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    weekday: 'short',
  });
  const fields = (ms: number): CalendarFields => {
    const parts: Record<string, string> = {};
    for (const part of format.formatToParts(ms)) parts[part.type] = part.value;
    return {
      year: Number(parts.year),
      month: Number(parts.month),
      day: Number(parts.day),
      hour: Number(parts.hour),
      minute: Number(parts.minute),
      weekday: WEEKDAYS.indexOf(parts.weekday ?? ''),
    };
  };
  /** The zone's wall clock as if it were UTC, minus the instant: its UTC offset at that instant. */
  const offset = (ms: number) => {
    const f = fields(ms);
    return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute) - Math.floor(ms / MINUTE_MS) * MINUTE_MS;
  };
  const calendar: Calendar = {
    fields,
    make(year, month, day, hour, minute = 0) {
      const wall = Date.UTC(year, month - 1, day, hour, minute);
      const before = wall - offset(wall - 12 * 3_600_000 - 14 * 3_600_000);
      const after = wall - offset(wall + 12 * 3_600_000 + 14 * 3_600_000);
      const valid = [before, after].filter((instant) => instant + offset(instant) === wall);
      // Both valid: a repeated time, take the first; none: a skipped time, read with the offset before the gap.
      return valid.length > 0 ? Math.min(...valid) : before;
    },
  };
  zoneCalendars.set(timeZone, calendar);
  return calendar;
}

function nextCronTime(expression: CronSchedule, afterMs: number, calendar: Calendar): number {
  const { minutes, hours, months } = expression;
  const limit = afterMs + SEARCH_YEARS * 366 * DAY_MS;
  let time = Math.floor(afterMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  // Every step moves `time` forward; `!(time <= limit)` also stops on NaN from dates out of range.
  while (time <= limit) {
    const now = calendar.fields(time);
    let next: number;
    if (!months.includes(now.month)) {
      // Skip to the first day of the next listed month.
      const month = months.find((m) => m > now.month);
      next =
        month !== undefined
          ? calendar.make(now.year, month, 1, 0)
          : calendar.make(now.year + 1, months[0] ?? 1, 1, 0);
    } else if (!dayMatches(expression, now)) {
      next = calendar.make(now.year, now.month, now.day + 1, 0);
    } else if (!hours.includes(now.hour)) {
      const hour = hours.find((h) => h > now.hour);
      next =
        hour !== undefined
          ? calendar.make(now.year, now.month, now.day, hour)
          : calendar.make(now.year, now.month, now.day + 1, 0);
    } else if (!minutes.includes(now.minute)) {
      // Minutes move in absolute time, so a wildcard hour repeated by a fall-back is still visited.
      const minute = minutes.find((m) => m > now.minute) ?? 60;
      next = time + (minute - now.minute) * MINUTE_MS;
    } else if (
      hours.length < 24 &&
      calendar.make(now.year, now.month, now.day, now.hour, now.minute) < time
    ) {
      // The second pass of a wall-clock time repeated by a fall-back: a job at fixed hours already ran at the first.
      next = time + MINUTE_MS;
    } else {
      return time;
    }
    // A local fall-back can map a later wall-clock time to an earlier instant; never go backwards.
    time = next > time ? next : time + MINUTE_MS;
  }
  throw new AIFlowError(
    'INVALID_SCHEDULE',
    `schedule ${quote(expression.text)} has no run time within ${SEARCH_YEARS} years after ${isoOrRaw(afterMs)}`,
  );
}

function dayMatches(expression: CronSchedule, now: CalendarFields): boolean {
  const dom = expression.daysOfMonth.includes(now.day);
  const dow = expression.daysOfWeek.includes(now.weekday);
  return expression.daysMatchEither ? dom || dow : dom && dow;
}

// ---- messages -----------------------------------------------------------------------------------------------

function invalid(text: string, problem: string): AIFlowError {
  return new AIFlowError('INVALID_SCHEDULE', `invalid schedule ${quote(text)}: ${problem}`);
}

/** JSON quoting keeps the message on one line whatever the text holds; long texts are cut. */
function quote(text: string): string {
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);
}

function isoOrRaw(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}
