import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SchedulerClient } from '../../client/index.ts';
import { startTestServer } from '../server-harness.ts';

const SOURCE = [
  "import { Workflow } from 'aiflow-mqtt/workflow';",
  "const workflow = new Workflow('w');",
  "workflow.bash('t', 'true');",
  'export default workflow;',
  '',
].join('\n');

test('names from requests that would be paths are INVALID_REQUEST, and no server path is shown', async (t) => {
  const server = await startTestServer(t);
  const client = await SchedulerClient.connect({ server: server.url });
  t.after(() => client.close());
  // Any method and params, as a client in another language could send them: the declarations judge them.
  const call = client.call.bind(client) as (method: string, params: object) => Promise<unknown>;
  const refused = async (method: string, params: Record<string, unknown>, code = 'INVALID_REQUEST') => {
    const error = await call(method, params).then(
      () => assert.fail(`${method} ${JSON.stringify(params)} was accepted`),
      (e: unknown) => e as { code: string; message: string },
    );
    assert.equal(error.code, code, `${method} ${JSON.stringify(params)}: ${error.message}`);
    assert.ok(!error.message.includes(server.home), `no server path in: ${error.message}`);
    assert.ok(!/\/(tmp|home|root)\//.test(error.message), `no server path in: ${error.message}`);
  };
  for (const fileName of ['..', '.', '', '../../escape.ts', 'dir/file.ts', 'dir\\file.ts', 'nul\0.ts', 7]) {
    await refused('workflow.upload', { fileName, source: SOURCE });
  }
  for (const workflow of ['..', '../w', 'a/b', '']) {
    await refused('workflow.show', { workflow });
    await refused('workflowExecution.start', { workflow });
  }
  for (const name of ['..', '.']) await refused('namespace.add', { name }, 'INVALID_NAMESPACE');
  await refused('workflow.list', { namespace: '..' }, 'INVALID_NAMESPACE');
  // A module that does not load is named as the requester named it, not by where the server put it.
  const broken = await client
    .call('workflow.upload', { fileName: 'broken.ts', source: 'throw new Error("no");' })
    .then(
      () => assert.fail('a module that throws was accepted'),
      (e: unknown) => e as { code: string; message: string },
    );
  assert.equal(broken.code, 'INVALID_WORKFLOW');
  assert.match(broken.message, /^broken\.ts:1:\d+: /);
  assert.ok(!broken.message.includes(server.home), broken.message);
  // A plain name still works, and the scheduler goes on.
  const [uploaded] = await client.call('workflow.upload', {
    fileName: 'w.ts',
    source: SOURCE,
  });
  assert.equal(uploaded?.name, 'w');
});
