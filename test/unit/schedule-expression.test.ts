import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AIFlowError } from '../../protocol/errors.ts';
import {
  describeSchedule,
  nextRunTime,
  parseScheduleExpression,
  type CronSchedule,
  type ScheduleExpression,
} from '../../scheduler/schedule/expression.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;
const UTC = { utc: true };

/** Epoch ms of a UTC wall-clock time, month 1-12. */
const at = (year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0) =>
  Date.UTC(year, month - 1, day, hour, minute, second, ms);
const iso = (ms: number) => new Date(ms).toISOString();

function cron(text: string): CronSchedule {
  const expression = parseScheduleExpression(text);
  assert.equal(expression.kind, 'cron');
  return expression;
}

/** The next `count` run times after `afterMs`, chained, as ISO strings for readable failures. */
function runs(expression: ScheduleExpression | string, afterMs: number, count: number): string[] {
  const parsed = typeof expression === 'string' ? parseScheduleExpression(expression) : expression;
  const times: string[] = [];
  let time = afterMs;
  for (let i = 0; i < count; i++) {
    time = nextRunTime(parsed, time, UTC);
    times.push(iso(time));
  }
  return times;
}

const range = (from: number, to: number, step = 1) => {
  const values: number[] = [];
  for (let value = from; value <= to; value += step) values.push(value);
  return values;
};

/** Asserts an INVALID_SCHEDULE rejection whose message quotes the text and contains `detail`. */
function rejects(text: string, detail: string): void {
  assert.throws(
    () => parseScheduleExpression(text),
    (error: unknown) => {
      assert.ok(error instanceof AIFlowError, `not an AIFlowError: ${String(error)}`);
      assert.equal(error.code, 'INVALID_SCHEDULE');
      assert.ok(
        error.message.startsWith(`invalid schedule ${JSON.stringify(text.trim())}: `),
        `message does not quote the text: ${error.message}`,
      );
      assert.ok(error.message.includes(detail), `message "${error.message}" lacks "${detail}"`);
      assert.ok(!error.message.includes('\n'), 'message is one line');
      return true;
    },
    text,
  );
}

// ---- accepted forms -----------------------------------------------------------------------------------------

test('cron: wildcards, numbers, ranges, lists and steps', () => {
  const all = cron('cron@* * * * *');
  assert.deepEqual(all.minutes, range(0, 59));
  assert.deepEqual(all.hours, range(0, 23));
  assert.deepEqual(all.daysOfMonth, range(1, 31));
  assert.deepEqual(all.months, range(1, 12));
  assert.deepEqual(all.daysOfWeek, range(0, 6));

  const single = cron('cron@5 4 3 2 1');
  assert.deepEqual(
    [single.minutes, single.hours, single.daysOfMonth, single.months, single.daysOfWeek],
    [[5], [4], [3], [2], [1]],
  );
  assert.deepEqual(cron('cron@05 04 03 02 01').minutes, [5]);

  assert.deepEqual(cron('cron@10-13 * * * *').minutes, [10, 11, 12, 13]);
  assert.deepEqual(cron('cron@7-7 * * * *').minutes, [7]);
  assert.deepEqual(cron('cron@* 1,5,23 * * *').hours, [1, 5, 23]);
  assert.deepEqual(cron('cron@45,15,15 * * * *').minutes, [15, 45]);
  assert.deepEqual(cron('cron@*/15 * * * *').minutes, [0, 15, 30, 45]);
  assert.deepEqual(cron('cron@* */6 * * *').hours, [0, 6, 12, 18]);
  assert.deepEqual(cron('cron@* * */10 * *').daysOfMonth, [1, 11, 21, 31]);
  assert.deepEqual(cron('cron@* * * */5 *').months, [1, 6, 11]);
  assert.deepEqual(cron('cron@10-20/5 * * * *').minutes, [10, 15, 20]);
  assert.deepEqual(cron('cron@10-21/5 * * * *').minutes, [10, 15, 20]);
  assert.deepEqual(cron('cron@50/3 * * * *').minutes, [50, 53, 56, 59]);
  assert.deepEqual(cron('cron@*/60 * * * *').minutes, [0]);
  assert.deepEqual(cron('cron@*/1 * * * *').minutes, range(0, 59));
});

test('cron: lists combine values, ranges and steps', () => {
  assert.deepEqual(cron('cron@0-10/5,30,45-50/2,59 * * * *').minutes, [0, 5, 10, 30, 45, 47, 49, 59]);
  assert.deepEqual(cron('cron@* 22-23,0-2,*/12 * * *').hours, [0, 1, 2, 12, 22, 23]);
  assert.deepEqual(cron('cron@* * * JAN-MAR/2,jun,10-12 *').months, [1, 3, 6, 10, 11, 12]);
  assert.deepEqual(cron('cron@* * * * MON-WED/2,sat,7').daysOfWeek, [0, 1, 3, 6]);
});

test('cron: month and day names, case-insensitive, wherever a value is allowed', () => {
  const names = ['JAN', 'feb', 'Mar', 'apr', 'MAY', 'jun', 'JUL', 'aug', 'SEP', 'oct', 'NOV', 'Dec'];
  names.forEach((name, index) => assert.deepEqual(cron(`cron@0 0 1 ${name} *`).months, [index + 1]));
  const days = ['sun', 'MON', 'Tue', 'wed', 'THU', 'fri', 'SAT'];
  days.forEach((name, index) => assert.deepEqual(cron(`cron@0 0 * * ${name}`).daysOfWeek, [index]));
  assert.deepEqual(cron('cron@0 0 * * MON-FRI').daysOfWeek, [1, 2, 3, 4, 5]);
  assert.deepEqual(cron('cron@0 0 * jun-AUG *').months, [6, 7, 8]);
  assert.deepEqual(cron('cron@0 0 * * sun/2').daysOfWeek, [0, 2, 4, 6]);
  assert.deepEqual(cron('cron@0 0 * 3-DEC/3 *').months, [3, 6, 9, 12]);
});

test('cron: both 0 and 7 are Sunday', () => {
  assert.deepEqual(cron('cron@0 0 * * 7').daysOfWeek, [0]);
  assert.deepEqual(cron('cron@0 0 * * 0,7').daysOfWeek, [0]);
  assert.deepEqual(cron('cron@0 0 * * 5-7').daysOfWeek, [0, 5, 6]);
  assert.deepEqual(cron('cron@0 0 * * 1/3').daysOfWeek, [0, 1, 4]);
  // 2024-01-07 is a Sunday.
  assert.equal(iso(nextRunTime(cron('cron@0 12 * * 7'), at(2024, 1, 3), UTC)), '2024-01-07T12:00:00.000Z');
  assert.equal(iso(nextRunTime(cron('cron@0 12 * * 0'), at(2024, 1, 3), UTC)), '2024-01-07T12:00:00.000Z');
});

test('cron: spaces, tabs and surrounding whitespace; text and crontab', () => {
  const expression = cron('  cron@*/5   0 \t 1  *\t*  ');
  assert.equal(expression.text, 'cron@*/5   0 \t 1  *\t*');
  assert.equal(expression.crontab, '*/5 0 1 * *');
  assert.deepEqual(expression.hours, [0]);
  assert.deepEqual(cron('cron@ 0 0 * * *').crontab, '0 0 * * *');
});

test('cron: the day rule is OR only when neither day field starts with *', () => {
  assert.equal(cron('cron@0 0 13 * 5').daysMatchEither, true);
  assert.equal(cron('cron@0 0 1-31 * 1').daysMatchEither, true);
  assert.equal(cron('cron@0 0 * * 5').daysMatchEither, false);
  assert.equal(cron('cron@0 0 13 * *').daysMatchEither, false);
  assert.equal(cron('cron@0 0 */2 * 1').daysMatchEither, false);
  assert.equal(cron('cron@0 0 1 * */7').daysMatchEither, false);

  // The 13th, or any Friday. 2024-09-13 is itself a Friday.
  assert.deepEqual(runs('cron@0 0 13 * 5', at(2024, 9, 1), 6), [
    '2024-09-06T00:00:00.000Z',
    '2024-09-13T00:00:00.000Z',
    '2024-09-20T00:00:00.000Z',
    '2024-09-27T00:00:00.000Z',
    '2024-10-04T00:00:00.000Z',
    '2024-10-11T00:00:00.000Z',
  ]);
  assert.equal(runs('cron@0 0 13 * 5', at(2024, 10, 11), 1)[0], '2024-10-13T00:00:00.000Z');
  // Only Mondays; only the 13th.
  assert.deepEqual(runs('cron@0 0 * * 1', at(2024, 9, 1), 2), [
    '2024-09-02T00:00:00.000Z',
    '2024-09-09T00:00:00.000Z',
  ]);
  assert.deepEqual(runs('cron@0 0 13 * *', at(2024, 9, 1), 2), [
    '2024-09-13T00:00:00.000Z',
    '2024-10-13T00:00:00.000Z',
  ]);
  // `1-31` is restricted, so with a day of week it means every day (Vixie cron).
  assert.deepEqual(runs('cron@0 0 1-31 * 1', at(2024, 9, 1), 2), [
    '2024-09-02T00:00:00.000Z',
    '2024-09-03T00:00:00.000Z',
  ]);
  // `*/2` counts as *, so both must match: odd days that are Mondays (2024-09-09, 2024-09-23).
  assert.deepEqual(runs('cron@0 0 */2 * 1', at(2024, 9, 1), 3), [
    '2024-09-09T00:00:00.000Z',
    '2024-09-23T00:00:00.000Z',
    '2024-10-07T00:00:00.000Z',
  ]);
});

test('interval: four non-negative integers, any spacing', () => {
  const expression = parseScheduleExpression('interval@1 2 3 4');
  assert.deepEqual(expression, {
    kind: 'interval',
    text: 'interval@1 2 3 4',
    everyMs: DAY + 2 * 3_600_000 + 3 * MINUTE + 4_000,
  });
  assert.deepEqual(parseScheduleExpression('interval@0 0 10 0'), {
    kind: 'interval',
    text: 'interval@0 0 10 0',
    everyMs: 10 * MINUTE,
  });
  const spaced = parseScheduleExpression(' interval@0   0\t90  00 ');
  assert.deepEqual(spaced, { kind: 'interval', text: 'interval@0   0\t90  00', everyMs: 90 * MINUTE });
  assert.equal(parseScheduleExpression('interval@0 0 0 1').kind, 'interval');
  assert.equal(
    (parseScheduleExpression('interval@36525 0 0 0') as { everyMs: number }).everyMs,
    36_525 * DAY,
  );
});

test('interval: the next run is one period after, whatever the clock', () => {
  const expression = parseScheduleExpression('interval@0 1 30 15');
  const everyMs = 5_415_000;
  assert.equal(nextRunTime(expression, 0), everyMs);
  assert.equal(nextRunTime(expression, 1_234), 1_234 + everyMs);
  assert.equal(nextRunTime(expression, at(2024, 2, 29, 23), UTC), at(2024, 2, 29, 23) + everyMs);
  assert.deepEqual(
    [1, 2, 3].reduce<number[]>((times, _) => [...times, nextRunTime(expression, times.at(-1) ?? 500)], []),
    [500 + everyMs, 500 + 2 * everyMs, 500 + 3 * everyMs],
  );
});

test('describeSchedule: short text for listings', () => {
  const describe = (text: string, utc?: boolean) =>
    describeSchedule(parseScheduleExpression(text), utc === undefined ? undefined : { utc });
  assert.equal(describe('interval@0 0 10 0'), 'every 10 minutes');
  assert.equal(describe('interval@0 0 1 0'), 'every minute');
  assert.equal(describe('interval@1 0 0 0'), 'every day');
  assert.equal(describe('interval@0 0 0 1'), 'every second');
  assert.equal(describe('interval@0 0 0 45'), 'every 45 seconds');
  assert.equal(describe('interval@0 0 90 0'), 'every 1 hour 30 minutes');
  assert.equal(describe('interval@1 2 0 5'), 'every 1 day 2 hours 5 seconds');
  assert.equal(describe('interval@2 0 0 0'), 'every 2 days');
  assert.equal(describe('cron@0 * * * *'), 'cron 0 * * * * (local time)');
  assert.equal(describe('cron@0   *\t* * *', false), 'cron 0 * * * * (local time)');
  assert.equal(describe('cron@*/5 9-17 * * MON-FRI', true), 'cron */5 9-17 * * MON-FRI (UTC)');
});

// ---- rejections ---------------------------------------------------------------------------------------------

test('rejects texts that are neither form, naming both forms', () => {
  const forms =
    'expected cron@<minute hour day-of-month month day-of-week> (e.g. cron@*/5 * * * *) ' +
    'or interval@<days> <hours> <minutes> <seconds> (e.g. interval@0 0 10 0)';
  for (const text of [
    'x',
    '',
    '   ',
    '*/5 * * * *',
    'CRON@* * * * *',
    'cron:* * * * *',
    'every@1',
    '@daily',
  ]) {
    rejects(text, forms);
  }
  assert.throws(
    () => parseScheduleExpression(42 as unknown as string),
    (error: unknown) => error instanceof AIFlowError && error.code === 'INVALID_SCHEDULE',
  );
});

test('rejects control characters, keeping messages on one line', () => {
  rejects('cron@0 0\n* * *', 'contains a control character');
  rejects('interval@0\u00000 1 0', 'contains a control character');
});

test('cron: rejects a wrong field count, saying how many were given', () => {
  const fields = 'expected 5 fields (minute hour day-of-month month day-of-week, e.g. cron@*/5 * * * *)';
  rejects('cron@', `${fields}, got 0`);
  rejects('cron@   ', `${fields}, got 0`);
  rejects('cron@* * * *', `${fields}, got 4`);
  rejects('cron@0 0 * * * *', `${fields}, got 6`);
  rejects('cron@0 0 * * * 2024', `${fields}, got 6`);
  rejects('cron@@daily', `${fields}, got 1`);
});

test('cron: rejects out-of-range values, naming the field', () => {
  rejects('cron@60 * * * *', 'minute field "60": 60 is out of range 0-59');
  rejects('cron@* 24 * * *', 'hour field "24": 24 is out of range 0-23');
  rejects('cron@* * 0 * *', 'day-of-month field "0": 0 is out of range 1-31');
  rejects('cron@* * 32 * *', 'day-of-month field "32": 32 is out of range 1-31');
  rejects('cron@* * * 0 *', 'month field "0": 0 is out of range 1-12');
  rejects('cron@* * * 13 *', 'month field "13": 13 is out of range 1-12');
  rejects('cron@* * * * 8', 'day-of-week field "8": 8 is out of range 0-7');
  rejects('cron@1,2,99 * * * *', 'minute field "1,2,99": 99 is out of range 0-59');
  rejects('cron@0-60 * * * *', 'minute field "0-60": 60 is out of range 0-59');
  rejects('cron@* 1-30/2 * * *', 'hour field "1-30/2": 30 is out of range 0-23');
  rejects(
    'cron@99999999999999999999 * * * *',
    'minute field "99999999999999999999": 99999999999999999999 is out of range 0-59',
  );
});

test('cron: rejects empty list items, step 0 or too large, reversed ranges', () => {
  rejects('cron@1,,2 * * * *', 'minute field "1,,2": empty list item');
  rejects('cron@,1 * * * *', 'minute field ",1": empty list item');
  rejects('cron@* 1, * * *', 'hour field "1,": empty list item');
  rejects('cron@*/0 * * * *', 'minute field "*/0": step 0 is out of range 1-60');
  rejects('cron@* 0-23/0 * * *', 'hour field "0-23/0": step 0 is out of range 1-24');
  rejects('cron@*/61 * * * *', 'minute field "*/61": step 61 is out of range 1-60');
  rejects('cron@* * * */13 *', 'month field "*/13": step 13 is out of range 1-12');
  rejects('cron@*/ * * * *', 'minute field "*/": step "" is not a number');
  rejects('cron@*/x * * * *', 'minute field "*/x": step "x" is not a number');
  rejects('cron@*/-1 * * * *', 'minute field "*/-1": step "-1" is not a number');
  rejects('cron@5-1 * * * *', 'minute field "5-1": range "5-1" is reversed (5 > 1)');
  rejects('cron@* 23-1/2 * * *', 'hour field "23-1/2": range "23-1" is reversed (23 > 1)');
  rejects('cron@* * * DEC-JAN *', 'month field "DEC-JAN": range "DEC-JAN" is reversed (12 > 1)');
  rejects('cron@* * * * SAT-SUN', 'day-of-week field "SAT-SUN": range "SAT-SUN" is reversed (6 > 0)');
});

test('cron: rejects garbage in a field', () => {
  const shape = 'is not a value, range (a-b) or step (*/n, a-b/n, a/n)';
  rejects('cron@a * * * *', 'minute field "a": "a" is not a number');
  rejects('cron@1.5 * * * *', 'minute field "1.5": "1.5" is not a number');
  rejects('cron@+1 * * * *', 'minute field "+1": "+1" is not a number');
  rejects('cron@* * ? * *', 'day-of-month field "?": "?" is not a number');
  rejects('cron@* * L * *', 'day-of-month field "L": "L" is not a number');
  rejects('cron@* * * FOO *', 'month field "FOO": "FOO" is not a number or month name (JAN-DEC)');
  rejects('cron@* * * January *', 'month field "January": "January" is not a number or month name (JAN-DEC)');
  rejects(
    'cron@* * * * MONDAY',
    'day-of-week field "MONDAY": "MONDAY" is not a number or day name (SUN-SAT)',
  );
  rejects('cron@* * * * 1#2', 'day-of-week field "1#2": "1#2" is not a number or day name (SUN-SAT)');
  rejects('cron@* MON * * *', 'hour field "MON": "MON" is not a number');
  rejects('cron@* * * * JAN', 'day-of-week field "JAN": "JAN" is not a number or day name (SUN-SAT)');
  rejects('cron@1-2-3 * * * *', `minute field "1-2-3": "1-2-3" ${shape}`);
  rejects('cron@-5 * * * *', `minute field "-5": "-5" ${shape}`);
  rejects('cron@5- * * * *', `minute field "5-": "5-" ${shape}`);
  rejects('cron@*-5 * * * *', `minute field "*-5": "*-5" ${shape}`);
  rejects('cron@** * * * *', `minute field "**": "**" ${shape}`);
  rejects('cron@1/2/3 * * * *', `minute field "1/2/3": "1/2/3" ${shape}`);
  rejects('cron@/5 * * * *', `minute field "/5": "/5" ${shape}`);
});

test('cron: rejects dates that never exist instead of searching for them', () => {
  rejects(
    'cron@0 0 30 2 *',
    'day-of-month field "30" never occurs in month field "2" (February), so it would never run',
  );
  rejects('cron@0 0 31 FEB *', 'day-of-month field "31" never occurs in month field "FEB" (February)');
  rejects('cron@0 0 30,31 2 *', 'day-of-month field "30,31" never occurs in month field "2" (February)');
  rejects(
    'cron@0 0 31 4,6,9,11 *',
    'day-of-month field "31" never occurs in month field "4,6,9,11" (April, June, September, November)',
  );
  rejects('cron@0 0 31 2 */7', 'day-of-month field "31" never occurs in month field "2" (February)');
  // Possible: Feb 29 exists in leap years; a restricted day of week is an alternative (OR); one month has 31 days.
  assert.equal(cron('cron@0 0 29 2 *').kind, 'cron');
  assert.equal(cron('cron@0 0 30 2 1').kind, 'cron');
  assert.equal(cron('cron@0 0 31 1-2 *').kind, 'cron');
  assert.equal(cron('cron@0 0 */30 2 *').kind, 'cron');
});

test('interval: rejects wrong counts, negatives, decimals, zero and huge periods', () => {
  const numbers = 'expected 4 numbers (days hours minutes seconds, e.g. interval@0 0 10 0)';
  rejects('interval@', `${numbers}, got 0`);
  rejects('interval@0 0 10', `${numbers}, got 3`);
  rejects('interval@10', `${numbers}, got 1`);
  rejects('interval@0 0 10 0 0', `${numbers}, got 5`);
  rejects('interval@0 0 -1 0', 'minutes "-1" is not a non-negative integer');
  rejects('interval@-1 0 0 0', 'days "-1" is not a non-negative integer');
  rejects('interval@0 0 1.5 0', 'minutes "1.5" is not a non-negative integer');
  rejects('interval@0 1e3 0 0', 'hours "1e3" is not a non-negative integer');
  rejects('interval@0 0 0 x', 'seconds "x" is not a non-negative integer');
  rejects('interval@0,0,1,0 0 0 0', 'days "0,0,1,0" is not a non-negative integer');
  rejects('interval@0 0 0 0', 'the interval must be longer than zero');
  rejects('interval@00 0 000 0', 'the interval must be longer than zero');
  rejects('interval@36525 0 0 1', 'the interval is longer than 36525 days (100 years)');
  rejects('interval@0 0 0 99999999999999999999999', 'the interval is longer than 36525 days (100 years)');
});

// ---- next run time ------------------------------------------------------------------------------------------

test('nextRunTime is strictly after: an exact match is not returned, seconds are ignored', () => {
  const hourly = cron('cron@0 * * * *');
  assert.equal(iso(nextRunTime(hourly, at(2024, 5, 1, 10), UTC)), '2024-05-01T11:00:00.000Z');
  assert.equal(iso(nextRunTime(hourly, at(2024, 5, 1, 10, 0, 0, 1), UTC)), '2024-05-01T11:00:00.000Z');
  assert.equal(iso(nextRunTime(hourly, at(2024, 5, 1, 9, 59, 59, 999), UTC)), '2024-05-01T10:00:00.000Z');
  const everyMinute = cron('cron@* * * * *');
  assert.equal(iso(nextRunTime(everyMinute, at(2024, 5, 1, 10), UTC)), '2024-05-01T10:01:00.000Z');
  assert.equal(iso(nextRunTime(everyMinute, at(2024, 5, 1, 10, 0, 30), UTC)), '2024-05-01T10:01:00.000Z');
  assert.equal(iso(nextRunTime(everyMinute, 0, UTC)), '1970-01-01T00:01:00.000Z');
  assert.equal(iso(nextRunTime(everyMinute, -1, UTC)), '1970-01-01T00:00:00.000Z');
  assert.equal(iso(nextRunTime(hourly, -30 * MINUTE, UTC)), '1970-01-01T00:00:00.000Z');
});

test('nextRunTime crosses month boundaries, skipping months without the day', () => {
  assert.deepEqual(runs('cron@0 0 31 * *', at(2024, 1, 1), 4), [
    '2024-01-31T00:00:00.000Z',
    '2024-03-31T00:00:00.000Z',
    '2024-05-31T00:00:00.000Z',
    '2024-07-31T00:00:00.000Z',
  ]);
  assert.deepEqual(runs('cron@30 23 30 * *', at(2023, 1, 30, 23, 30), 2), [
    '2023-03-30T23:30:00.000Z',
    '2023-04-30T23:30:00.000Z',
  ]);
  assert.deepEqual(runs('cron@59 23 * * *', at(2024, 4, 30, 23, 59), 2), [
    '2024-05-01T23:59:00.000Z',
    '2024-05-02T23:59:00.000Z',
  ]);
  assert.deepEqual(runs('cron@0 0 1 * *', at(2024, 1, 31, 12), 3), [
    '2024-02-01T00:00:00.000Z',
    '2024-03-01T00:00:00.000Z',
    '2024-04-01T00:00:00.000Z',
  ]);
});

test('nextRunTime finds Feb 29 only in leap years, over the skipped 2100', () => {
  assert.deepEqual(runs('cron@0 0 29 2 *', at(2023, 3, 1), 3), [
    '2024-02-29T00:00:00.000Z',
    '2028-02-29T00:00:00.000Z',
    '2032-02-29T00:00:00.000Z',
  ]);
  assert.deepEqual(runs('cron@0 0 29 2 *', at(2096, 2, 29), 1), ['2104-02-29T00:00:00.000Z']);
  assert.deepEqual(runs('cron@0 0 29 2 *', at(1999, 1, 1), 1), ['2000-02-29T00:00:00.000Z']);
  // The longest wait there is: Feb 29 on a Sunday, 40 years across 2100.
  assert.deepEqual(runs('cron@0 0 29 2 */7', at(2088, 3, 1), 1), ['2128-02-29T00:00:00.000Z']);
  assert.deepEqual(runs('cron@0 12 * 2 *', at(2024, 2, 28, 13), 2), [
    '2024-02-29T12:00:00.000Z',
    '2025-02-01T12:00:00.000Z',
  ]);
});

test('nextRunTime rolls over the year', () => {
  assert.deepEqual(runs('cron@59 23 31 12 *', at(2023, 12, 31, 23, 59), 2), [
    '2024-12-31T23:59:00.000Z',
    '2025-12-31T23:59:00.000Z',
  ]);
  assert.deepEqual(runs('cron@0 0 1 1 *', at(2023, 12, 31, 23, 59, 30), 2), [
    '2024-01-01T00:00:00.000Z',
    '2025-01-01T00:00:00.000Z',
  ]);
  assert.deepEqual(runs('cron@*/20 * * * *', at(2023, 12, 31, 23, 41), 3), [
    '2024-01-01T00:00:00.000Z',
    '2024-01-01T00:20:00.000Z',
    '2024-01-01T00:40:00.000Z',
  ]);
  assert.deepEqual(runs('cron@0 9 * jan,MAR mon', at(2023, 12, 1), 2), [
    '2024-01-01T09:00:00.000Z',
    '2024-01-08T09:00:00.000Z',
  ]);
});

test('nextRunTime gives up on a hand-built expression that never runs, and on a bad afterMs', () => {
  const feb30: CronSchedule = { ...cron('cron@0 0 1 2 *'), text: 'cron@0 0 30 2 *', daysOfMonth: [30] };
  assert.throws(
    () => nextRunTime(feb30, at(2024, 1, 1), UTC),
    (error: unknown) =>
      error instanceof AIFlowError &&
      error.code === 'INVALID_SCHEDULE' &&
      error.message ===
        'schedule "cron@0 0 30 2 *" has no run time within 50 years after 2024-01-01T00:00:00.000Z',
  );
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, '5' as unknown as number]) {
    assert.throws(
      () => nextRunTime(cron('cron@* * * * *'), bad),
      (error: unknown) => error instanceof AIFlowError && error.code === 'INVALID_OPTION',
    );
  }
});

// ---- against a brute-force reference ------------------------------------------------------------------------

interface Wall {
  minute: number;
  hour: number;
  day: number;
  month: number;
  weekday: number;
}

/** Each expression with a hand-written predicate: the reference shares no code with the parser. */
const REFERENCE_CASES: { text: string; matches: (t: Wall) => boolean }[] = [
  { text: 'cron@*/5 * * * *', matches: (t) => t.minute % 5 === 0 },
  {
    text: 'cron@15,45 9-17 * * MON-FRI',
    matches: (t) =>
      [15, 45].includes(t.minute) && t.hour >= 9 && t.hour <= 17 && t.weekday >= 1 && t.weekday <= 5,
  },
  {
    text: 'cron@0 0 13 * FRI',
    matches: (t) => t.minute === 0 && t.hour === 0 && (t.day === 13 || t.weekday === 5),
  },
  {
    text: 'cron@30 6 */10 * 7',
    matches: (t) => t.minute === 30 && t.hour === 6 && [1, 11, 21, 31].includes(t.day) && t.weekday === 0,
  },
  {
    text: 'cron@0 12 1,15 JAN,MAR *',
    matches: (t) => t.minute === 0 && t.hour === 12 && [1, 15].includes(t.day) && [1, 3].includes(t.month),
  },
  {
    text: 'cron@0-10/5,50 */7 29 2 *',
    matches: (t) => [0, 5, 10, 50].includes(t.minute) && t.hour % 7 === 0 && t.day === 29 && t.month === 2,
  },
  {
    text: 'cron@59 23 31 12 *',
    matches: (t) => t.minute === 59 && t.hour === 23 && t.day === 31 && t.month === 12,
  },
  {
    text: 'cron@0 */3 * * 6,0',
    matches: (t) => t.minute === 0 && t.hour % 3 === 0 && (t.weekday === 6 || t.weekday === 0),
  },
  {
    text: 'cron@7 4 1-7 * 1',
    matches: (t) => t.minute === 7 && t.hour === 4 && (t.day <= 7 || t.weekday === 1),
  },
  {
    text: 'cron@58/1 23,0 * DEC,1-FEB *',
    matches: (t) => t.minute >= 58 && (t.hour === 23 || t.hour === 0) && (t.month === 12 || t.month <= 2),
  },
];

function wall(ms: number): Wall {
  const date = new Date(ms);
  return {
    minute: date.getUTCMinutes(),
    hour: date.getUTCHours(),
    day: date.getUTCDate(),
    month: date.getUTCMonth() + 1,
    weekday: date.getUTCDay(),
  };
}

/** A small deterministic PRNG (mulberry32) for probe times. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

test('nextRunTime agrees with a minute-by-minute scan over Dec 2023 - Mar 2024 (UTC)', () => {
  const start = at(2023, 12, 1);
  const end = at(2024, 3, 15);
  const next = random(20240229);
  for (const { text, matches } of REFERENCE_CASES) {
    const expected: number[] = [];
    for (let time = start; time <= end; time += MINUTE) if (matches(wall(time))) expected.push(time);
    assert.ok(expected.length > 0, `${text} has runs in the range`);

    // Chained: every run in the range, in order, none skipped.
    const chained: number[] = [];
    for (let time = nextRunTime(parseScheduleExpression(text), start - 1, UTC); time <= end;) {
      chained.push(time);
      time = nextRunTime(parseScheduleExpression(text), time, UTC);
    }
    assert.deepEqual(chained.map(iso), expected.map(iso), text);

    // From arbitrary instants, including exact matches and sub-minute offsets.
    const expression = parseScheduleExpression(text);
    const probes = [
      ...expected.slice(0, 20),
      ...Array.from({ length: 300 }, () => start + Math.floor(next() * (end - start))),
    ];
    for (const probe of probes) {
      const want = expected.find((time) => time > probe);
      if (want === undefined) continue;
      assert.equal(iso(nextRunTime(expression, probe, UTC)), iso(want), `${text} after ${iso(probe)}`);
    }
  }
});

// ---- local time ---------------------------------------------------------------------------------------------

/** Runs `body` with the process time zone set to `zone`; Node applies a TZ change immediately. */
function inTimeZone(zone: string, body: () => void): void {
  const saved = process.env.TZ;
  process.env.TZ = zone;
  try {
    body();
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
}

test('nextRunTime reads cron fields in local time by default', () => {
  inTimeZone('Asia/Kolkata', () => {
    const nine = cron('cron@0 9 * * *');
    // 09:00 in India (UTC+05:30, no daylight saving) is 03:30 UTC.
    assert.equal(iso(nextRunTime(nine, at(2024, 1, 1))), '2024-01-01T03:30:00.000Z');
    assert.equal(iso(nextRunTime(nine, at(2024, 1, 1), { utc: false })), '2024-01-01T03:30:00.000Z');
    assert.equal(iso(nextRunTime(nine, at(2024, 1, 1), UTC)), '2024-01-01T09:00:00.000Z');
    // Local midnight of Jan 1st is still Dec 31st in UTC.
    assert.equal(iso(nextRunTime(cron('cron@0 0 1 1 *'), at(2023, 6, 1))), '2023-12-31T18:30:00.000Z');
  });
});

test('local time around daylight saving changes behaves as documented', () => {
  inTimeZone('America/New_York', () => {
    // 2024-03-10: 02:00 EST jumps to 03:00 EDT. 02:30 does not exist that day.
    assert.equal(iso(nextRunTime(cron('cron@30 2 * * *'), at(2024, 3, 9, 12))), '2024-03-11T06:30:00.000Z');
    const halfHourly = cron('cron@*/30 * * * *');
    assert.equal(iso(nextRunTime(halfHourly, at(2024, 3, 10, 6, 30))), '2024-03-10T07:00:00.000Z');
    // 2024-11-03: 02:00 EDT falls back to 01:00 EST. A fixed 01:30 runs once (the EDT one).
    const oneThirty = cron('cron@30 1 * * *');
    assert.equal(iso(nextRunTime(oneThirty, at(2024, 11, 2, 12))), '2024-11-03T05:30:00.000Z');
    assert.equal(iso(nextRunTime(oneThirty, at(2024, 11, 3, 5, 30))), '2024-11-04T06:30:00.000Z');
    // Wildcard hours keep running through the repeated hour.
    let time = at(2024, 11, 3, 4, 59);
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) seen.push(iso((time = nextRunTime(halfHourly, time))));
    assert.deepEqual(seen, [
      '2024-11-03T05:00:00.000Z',
      '2024-11-03T05:30:00.000Z',
      '2024-11-03T06:00:00.000Z',
      '2024-11-03T06:30:00.000Z',
      '2024-11-03T07:00:00.000Z',
    ]);
  });
});
