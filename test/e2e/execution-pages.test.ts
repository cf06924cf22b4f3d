// `workflowExecution.list` with `limit`: pages of a workflow's executions, newest first, with an id cursor and a
// status filter, so that a workflow with thousands of executions is listed a page at a time.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { SchedulerClient } from '../../client/index.ts';
import { SqliteMetadataStore } from '../../scheduler/store/sqlite-metadata-store.ts';
import { tempDir } from '../helpers.ts';
import { addFinishedExecutions, startTestServer } from '../server-harness.ts';

test('workflowExecution.list pages newest first by id cursor and filters by status', async (t) => {
  const store = SqliteMetadataStore.open(join(tempDir(t), 'metadata.db'));
  const server = await startTestServer(t, { store });
  const client = await SchedulerClient.connect({ server: server.url });
  t.after(() => client.close());
  await client.call('workflow.upload', {
    fileName: 'paged.ts',
    source: `import { Workflow } from 'aiflow-mqtt/workflow';\nconst w = new Workflow('paged');\nw.bash('t', 'true');\nexport default w;\n`,
  });
  // Finished executions written straight into the store: the listing is what is tested, not running them.
  await addFinishedExecutions(store, 'paged', 120);
  const ref = { namespace: 'default', workflow: 'paged' };
  // Any params, bad ones included: the declaration judges them.
  const list = client.call.bind(client) as (method: string, params: object) => Promise<{ id: number }[]>;
  const ids = async (params: object) =>
    (await list('workflowExecution.list', { ...ref, ...params })).map((e) => e.id);
  const range = (from: number, to: number) => Array.from({ length: from - to + 1 }, (_, i) => from - i);

  assert.deepEqual(await ids({ limit: 50 }), range(120, 71));
  assert.deepEqual(await ids({ limit: 50, beforeId: 71 }), range(70, 21));
  assert.deepEqual(await ids({ limit: 50, beforeId: 21 }), range(20, 1));
  assert.deepEqual(await ids({ limit: 4, statuses: ['failed'] }), [120, 117, 114, 111]);
  assert.deepEqual(await ids({ limit: 2, beforeId: 111, statuses: ['failed', 'success'] }), [110, 109]);
  assert.deepEqual(await ids({}), range(120, 1).reverse(), 'without limit: every execution, oldest first');
  for (const bad of [
    { limit: 0 },
    { limit: 1001 },
    { limit: 5, statuses: ['done'] },
    { limit: 5, beforeId: -1 },
  ]) {
    await assert.rejects(ids(bad), { code: 'INVALID_REQUEST' }, JSON.stringify(bad));
  }
});
