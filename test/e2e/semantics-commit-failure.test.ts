// An event whose effects cannot be committed leaves none of them behind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { SqliteMetadataStore } from '../../scheduler/store/sqlite-metadata-store.ts';
import type { MetadataStore } from '../../scheduler/store/metadata-store.ts';
import { tempDir } from '../helpers.ts';
import {
  RULES_FIXTURE,
  sendEvent,
  startExecution,
  startTestServer,
  taskExecutions,
  watchTask,
} from '../server-harness.ts';

test('§3.9 an event whose effects cannot be committed is recorded, and none of its effects remain', async (t) => {
  const store = SqliteMetadataStore.open(join(tempDir(t), 'metadata.db'));
  // Fault injection on the real store: the first commit that creates a task execution fails, as a full disk would.
  let failNext = true;
  const commit: MetadataStore['commit'] = async (work) => {
    if (failNext && work.taskExecutions.length > 0) {
      failNext = false;
      throw new Error('disk full');
    }
    return store.commit(work);
  };
  const faulty = new Proxy(store, {
    get: (target, name) => {
      if (name === 'commit') return commit;
      const value: unknown = Reflect.get(target, name);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as MetadataStore;
  const server = await startTestServer(t, { store: faulty });
  assert.equal((await server.cli('workflow', 'upload', RULES_FIXTURE)).code, 0);
  const task = await watchTask(t, server.url, 'actions', 't');
  const id = await startExecution(server, 'actions');
  await sendEvent(server, 'start'); // its commit fails: nothing of it may survive, in the store or in memory
  await sendEvent(server, 'start');
  await task.reached('running');
  const rows = await taskExecutions(server, id);
  assert.deepEqual(
    rows.map((r) => [r.sequence, r.status]),
    [[1, 'running']],
    'one task execution, sequence 1: the failed attempt left nothing behind',
  );
  const failed = await store.listFailedEvents();
  assert.equal(failed.length, 1);
  assert.equal(failed[0]?.key, 'start');
  assert.equal(failed[0]?.reason, 'disk full');
  await server.cli('workflow-execution', 'stop', String(id));
});
