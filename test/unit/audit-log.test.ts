// The audit table in a real SQLite file: bounded to its newest rows, kept across a reopen, filtered in order.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { AuditLog, type NewAuditEntry } from '../../broker/audit-log.ts';
import { IdentityStore } from '../../broker/identity-store.ts';
import { tempDir } from '../helpers.ts';

const entry = (n: number, identity = 'alice'): NewAuditEntry => ({
  time: 1_000 + n,
  identity,
  client: `c-${n}`,
  remote: null,
  action: 'workflow.delete',
  namespace: n % 2 === 0 ? 'even' : 'odd',
  target: { workflow: `w-${n}` },
  outcome: 'ok',
  detail: null,
});

test('the trail keeps its newest maxEntries rows, oldest first, across a reopen', (t) => {
  const file = join(tempDir(t), 'access.db');
  // The identity store's tables and the trail's share the file.
  IdentityStore.open(file).close();
  const log = new AuditLog(file, 3);
  for (let n = 1; n <= 5; n++) log.record(entry(n));
  assert.deepEqual(
    log.list({ limit: 10 }).map((e) => e.target.workflow),
    ['w-3', 'w-4', 'w-5'],
  );
  log.record(entry(6, 'bob'));
  log.close();
  const reopened = new AuditLog(file, 3);
  t.after(() => reopened.close());
  const kept = reopened.list({ limit: 10 });
  assert.deepEqual(
    kept.map((e) => e.target.workflow),
    ['w-4', 'w-5', 'w-6'],
  );
  assert.deepEqual(
    reopened.list({ user: 'alice', namespace: 'even', limit: 10 }).map((e) => e.target.workflow),
    ['w-4'],
  );
  assert.deepEqual(
    reopened.list({ since: 1_005, limit: 1 }).map((e) => e.identity),
    ['bob'],
  );
});
