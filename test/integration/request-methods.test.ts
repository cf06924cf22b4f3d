import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BROKER_HANDLERS } from '../../broker/rpc-handlers.ts';
import { SchedulerClient } from '../../client/scheduler-client.ts';
import { AIFlowError } from '../../protocol/errors.ts';
import { REQUEST_METHOD_NAMES, REQUEST_METHODS } from '../../protocol/request-methods.ts';
import { SCHEDULER_HANDLERS } from '../../scheduler/requests.ts';
import { startTestServer } from '../server-harness.ts';

test('every declared method has exactly one handler, in the service it declares', () => {
  const broker = Object.keys(BROKER_HANDLERS);
  const scheduler = Object.keys(SCHEDULER_HANDLERS);
  assert.deepEqual([...broker, ...scheduler].sort(), [...REQUEST_METHOD_NAMES].sort());
  for (const method of broker) assert.equal(REQUEST_METHODS[method as never]['service'], 'broker', method);
  for (const method of scheduler)
    assert.equal(REQUEST_METHODS[method as never]['service'], 'scheduler', method);
});

test('a real server answers every declared method, and UNKNOWN_METHOD for any other', async (t) => {
  // With access control on (the client logs in as the server's admin): users and tokens exist only then.
  const server = await startTestServer(t, { access: {} });
  const client = await SchedulerClient.connect({ server: server.url });
  t.after(() => client.close());
  // Untyped on purpose: the wire, not the SDK's types, is under test. Empty params never change anything.
  const call = client.call as (method: string, params: object) => Promise<unknown>;
  const answer = (method: string) =>
    call.call(client, method, {}).then(
      () => 'result',
      (error: unknown) => (error instanceof AIFlowError ? error.code : String(error)),
    );
  for (const method of REQUEST_METHOD_NAMES) {
    const code = await answer(method);
    assert.ok(['result', 'INVALID_REQUEST', 'NOT_FOUND'].includes(code), `${method}: ${code}`);
  }
  for (const method of ['events.drop', 'workflow.nope', 'workflowExecution.list.x', 'nothing']) {
    assert.equal(await answer(method), 'UNKNOWN_METHOD', method);
  }
});

// Checked by `tsc`, never run: the SDK's `call` takes its params and result types from the method's name.
export async function typedCalls(client: SchedulerClient): Promise<number> {
  const { id }: { id: number } = await client.call('workflowExecution.start', { workflow: 'w' });
  const rows = await client.call('namespace.list');
  const names: string[] = rows.map((row) => row.name);
  // @ts-expect-error a required param is missing
  await client.call('workflowExecution.start', {});
  // @ts-expect-error an id is a number or a numeric string
  await client.call('workflowExecution.show', { workflowExecutionId: true });
  // @ts-expect-error not a declared method
  await client.call('workflow.nope', {});
  return id + names.length;
}
