import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { requestSchemasJson, SCHEMAS_FILE, withCurrentTable } from '../../scripts/request-docs.ts';
import { ROOT } from '../support.ts';

const STALE = 'is stale: a request method declaration changed; run `npm run schemas` and commit the result';

test('the committed JSON Schemas of the request methods are current', async () => {
  assert.equal(
    readFileSync(join(ROOT, SCHEMAS_FILE), 'utf8'),
    await requestSchemasJson(),
    `${SCHEMAS_FILE} ${STALE}`,
  );
});

test("the README's request method table is current", async () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.equal(readme, await withCurrentTable(readme), `README.md ${STALE}`);
});

test('the published params schemas are plain JSON Schema with the grammar patterns', () => {
  const published = JSON.parse(readFileSync(join(ROOT, SCHEMAS_FILE), 'utf8')) as {
    methods: Record<
      string,
      { role: string; params: { properties: Record<string, Record<string, unknown>> } }
    >;
  };
  const show = published.methods['workflowExecution.show']!;
  assert.equal(show.role, 'viewer');
  assert.deepEqual(show.params.properties.workflowExecutionId, {
    anyOf: [
      { minimum: 1, maximum: Number.MAX_SAFE_INTEGER, type: 'integer' },
      { pattern: '^[1-9][0-9]{0,14}$', type: 'string' },
    ],
    description: 'a positive integer',
  });
  const send = published.methods['events.send']!.params.properties;
  assert.equal(send.namespace!.pattern, '^(?!\\.\\.?$)[A-Za-z0-9_.-]{1,64}$');
});
