import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { EventLogQueries } from '../../broker/event-log-queries.ts';
import { prepareEventLogSchema } from '../../broker/event-log-schema.ts';
import { EVENT_COLUMNS, EventLogWriter, toEvent, type EventRow } from '../../broker/event-log-writer.ts';
import type { Event } from '../../protocol/event.ts';
import type { EventFilter } from '../../protocol/rpc.ts';
import { LEGACY_EVENT_LOG_SCHEMA } from '../legacy-event-log.ts';

const NAMESPACES = ['default', 'other', 'third'];
const KEYS = ['a', 'b', 'c', 'd/e'];
const SENDERS = ['s1', 's2', 's3'];
const T0 = 1_700_000_000_000;

/** 400 events written with the legacy schema (varied create times), upgraded, then 50 more through the writer. */
function buildLog(
  t: TestContext,
  prepared: string[] = [],
): { queries: EventLogQueries; db: Database.Database } {
  const db = new Database(':memory:');
  t.after(() => db.close());
  db.exec(LEGACY_EVENT_LOG_SCHEMA);
  const insert = db.prepare(
    'INSERT INTO events (namespace, key, value, sender, context, create_time) VALUES (?, ?, ?, ?, NULL, ?)',
  );
  for (let i = 0; i < 400; i++) {
    insert.run(
      NAMESPACES[i % 3]!,
      KEYS[(i * 7) % 4]!,
      `v${i}`,
      SENDERS[(i * 5) % 3]!,
      T0 + Math.floor(i / 3),
    );
  }
  prepareEventLogSchema(db, ':memory:');
  new EventLogWriter(db).write(
    Array.from({ length: 50 }, (_, i) => ({
      namespace: NAMESPACES[i % 2]!,
      key: KEYS[i % 4]!,
      value: `w${i}`,
      sender: SENDERS[i % 3]!,
      idempotencyId: `id-${i % 40}`,
    })),
  );
  // Records the SQL of every statement the queries prepare, for the plan checks.
  const recording = new Proxy(db, {
    get(target, property) {
      if (property === 'prepare') {
        return (sql: string) => {
          prepared.push(sql);
          return target.prepare(sql);
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { queries: new EventLogQueries(recording), db };
}

function allEvents(db: Database.Database): Event[] {
  return (db.prepare(`SELECT ${EVENT_COLUMNS} FROM events ORDER BY offset`).all() as EventRow[]).map(toEvent);
}

const matches = (e: Event, f: EventFilter): boolean =>
  (f.namespace === undefined || e.namespace === f.namespace) &&
  (f.keys === undefined || f.keys.length === 0 || f.keys.includes(e.key)) &&
  (f.sender === undefined || e.sender === f.sender) &&
  (f.beginOffset === undefined || e.offset > f.beginOffset) &&
  (f.endOffset === undefined || e.offset <= f.endOffset) &&
  (f.beginTime === undefined || e.createTime >= f.beginTime);

function* everyFilter(): Generator<EventFilter> {
  for (const namespace of [undefined, 'default', 'other', 'missing'])
    for (const keys of [undefined, [], ['a'], ['a', 'c'], ['d/e', 'a', 'a']])
      for (const sender of [undefined, 's2'])
        for (const beginOffset of [undefined, 0, 137])
          for (const endOffset of [undefined, 300, 50])
            for (const beginTime of [undefined, T0 + 50, T0 + 400]) {
              const filter: EventFilter = {};
              if (namespace !== undefined) filter.namespace = namespace;
              if (keys !== undefined) filter.keys = keys;
              if (sender !== undefined) filter.sender = sender;
              if (beginOffset !== undefined) filter.beginOffset = beginOffset;
              if (endOffset !== undefined) filter.endOffset = endOffset;
              if (beginTime !== undefined) filter.beginTime = beginTime;
              yield filter;
            }
}

test('list and count agree with a plain filter of the whole log, for every combination of filters', (t) => {
  const { queries, db } = buildLog(t);
  const events = allEvents(db);
  assert.equal(events.length, 440, '10 of the 50 appends were duplicates');
  for (const filter of everyFilter()) {
    const expected = events.filter((e) => matches(e, filter));
    const label = JSON.stringify(filter);
    assert.deepEqual(queries.list(filter, 1000), expected, label);
    assert.deepEqual(queries.list(filter, 7), expected.slice(0, 7), label);
    const senders = [...new Set(expected.map((e) => e.sender))].sort();
    assert.deepEqual(
      queries.count(filter),
      {
        total: expected.length,
        bySender: senders.map((sender) => ({
          sender,
          count: expected.filter((e) => e.sender === sender).length,
        })),
      },
      label,
    );
  }
});

test('time to offset is the last event created at or before the time', (t) => {
  const { queries, db } = buildLog(t);
  const events = allEvents(db);
  assert.equal(queries.timeToOffset(), 440);
  for (const time of [T0 - 1, T0, T0 + 1, T0 + 133, T0 + 199, Date.now() + 60_000]) {
    const expected = events.filter((e) => e.createTime <= time).at(-1)?.offset ?? 0;
    assert.equal(queries.timeToOffset(time), expected, `time ${time - T0}`);
  }
});

test('the query plans: every query searches an index, pages and time seeks never sort', (t) => {
  const prepared: string[] = [];
  const { queries, db } = buildLog(t, prepared);
  for (const filter of everyFilter()) {
    queries.list(filter, 10);
    queries.count(filter);
  }
  queries.timeToOffset(T0);
  queries.timeToOffset();
  const statements = [...new Set(prepared)];
  assert.ok(statements.length > 20, `${statements.length} distinct statements`);
  for (const sql of statements) {
    const args = Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => 1);
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[])
      .map((row) => row.detail)
      .join(' | ');
    const label = `${sql}\n  plan: ${plan}`;
    assert.doesNotMatch(plan, /\bSCAN events\b/, label);
    if (!sql.includes('event_counts') && !sql.includes('GROUP BY')) {
      assert.doesNotMatch(plan, /TEMP B-TREE/, label);
    }
    if (/WHERE namespace = \? AND offset > \?.*ORDER BY offset/.test(sql)) {
      assert.match(plan, /USING INDEX events_by_namespace/, label);
    }
    if (/WHERE namespace = \? AND key = \?/.test(sql)) assert.match(plan, /USING INDEX events_by_key/, label);
    if (sql.includes('create_time <')) assert.match(plan, /USING COVERING INDEX events_by_time/, label);
  }
});
