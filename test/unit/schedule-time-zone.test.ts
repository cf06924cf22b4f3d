import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AIFlowError } from '../../protocol/errors.ts';
import {
  describeSchedule,
  nextRunTime,
  parseScheduleExpression,
  type CronSchedule,
} from '../../scheduler/schedule/expression.ts';

const at = (year: number, month: number, day: number, hour = 0, minute = 0) =>
  Date.UTC(year, month - 1, day, hour, minute);
const iso = (ms: number) => new Date(ms).toISOString();

function cron(text: string): CronSchedule {
  const expression = parseScheduleExpression(text);
  assert.equal(expression.kind, 'cron');
  return expression;
}

function runs(text: string, afterMs: number, count: number, options = {}): string[] {
  const expression = parseScheduleExpression(text);
  const times: string[] = [];
  for (let i = 0, time = afterMs; i < count; i++)
    times.push(iso((time = nextRunTime(expression, time, options))));
  return times;
}

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

test('a cron expression may end with an IANA time zone, read whatever the server zone', () => {
  const paris = cron('cron@0 9 * * 1-5 Europe/Paris');
  assert.equal(paris.timeZone, 'Europe/Paris');
  assert.equal(paris.crontab, '0 9 * * 1-5');
  assert.equal(describeSchedule(paris), 'cron 0 9 * * 1-5 (Europe/Paris)');
  assert.equal(cron('cron@0 9 * * *').timeZone, undefined, 'no zone: as before');
  // Friday 2024-01-05 in winter (UTC+1), then Monday; in summer (UTC+2).
  assert.deepEqual(runs('cron@0 9 * * 1-5 Europe/Paris', at(2024, 1, 5), 2), [
    '2024-01-05T08:00:00.000Z',
    '2024-01-08T08:00:00.000Z',
  ]);
  assert.deepEqual(runs('cron@0 9 * * 1-5 Europe/Paris', at(2024, 7, 1), 1, { utc: true }), [
    '2024-07-01T07:00:00.000Z',
  ]);
  inTimeZone('Asia/Tokyo', () =>
    assert.deepEqual(runs('cron@0 9 * * * UTC', at(2024, 1, 1), 1), ['2024-01-01T09:00:00.000Z']),
  );
});

test('daylight saving in a named zone: a skipped time does not run that day, a repeated one runs once', () => {
  // 2024-03-31 in Paris: 02:00 CET jumps to 03:00 CEST.
  assert.deepEqual(runs('cron@30 2 * * * Europe/Paris', at(2024, 3, 30, 12), 2), [
    '2024-04-01T00:30:00.000Z',
    '2024-04-02T00:30:00.000Z',
  ]);
  // 2024-10-27 in Paris: 03:00 CEST falls back to 02:00 CET; 02:30 runs at its first occurrence only.
  assert.deepEqual(runs('cron@30 2 * * * Europe/Paris', at(2024, 10, 26, 12), 2), [
    '2024-10-27T00:30:00.000Z',
    '2024-10-28T01:30:00.000Z',
  ]);
  // Every 30 minutes runs through both passes of the repeated hour.
  assert.deepEqual(runs('cron@*/30 * * * * Europe/Paris', at(2024, 10, 27, 0, 15), 4), [
    '2024-10-27T00:30:00.000Z',
    '2024-10-27T01:00:00.000Z',
    '2024-10-27T01:30:00.000Z',
    '2024-10-27T02:00:00.000Z',
  ]);
});

test('a named zone gives the same times as the server running in that zone', () => {
  const expressions = [
    '0 9 * * 1-5',
    '30 2 * * *',
    '30 1 * * *',
    '*/45 * * * *',
    '0 0 1 * *',
    '15 3 * 3,10 0',
  ];
  for (const zone of ['America/New_York', 'Europe/Paris', 'Australia/Lord_Howe', 'Asia/Kolkata']) {
    inTimeZone(zone, () => {
      for (const crontab of expressions) {
        for (const start of [at(2024, 3, 1), at(2024, 10, 1), at(2024, 11, 2, 12)]) {
          assert.deepEqual(
            runs(`cron@${crontab} ${zone}`, start, 40),
            runs(`cron@${crontab}`, start, 40),
            `${crontab} in ${zone} from ${iso(start)}`,
          );
        }
      }
    });
  }
});

test('an unknown time zone is INVALID_SCHEDULE; six fields that are not a zone keep the field-count error', () => {
  for (const [text, detail] of [
    ['cron@0 9 * * * Mars/Olympus', 'unknown time zone "Mars/Olympus"'],
    ['cron@0 9 * * * *', 'expected 5 fields'],
    ['cron@0 9 * * * 2024', 'expected 5 fields'],
  ] as const) {
    assert.throws(
      () => parseScheduleExpression(text),
      (error: unknown) =>
        error instanceof AIFlowError && error.code === 'INVALID_SCHEDULE' && error.message.includes(detail),
      text,
    );
  }
});
