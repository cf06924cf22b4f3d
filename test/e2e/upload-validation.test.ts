import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers.ts';
import { startTestServer } from '../server-harness.ts';

/** A module with one workflow `reports` whose task `collect` has the given options (TypeScript source). */
function moduleWith(options: string): string {
  return [
    "import { Workflow } from 'aiflow-mqtt/workflow';",
    "const workflow = new Workflow('reports');",
    `workflow.bash('collect', 'echo collected', ${options});`,
    'export default workflow;',
    '',
  ].join('\n');
}

test('a bad periodic expression or task option is refused at upload, naming the task and the value', async (t) => {
  const server = await startTestServer(t);
  const dir = tempDir(t);
  for (const [options, reason] of [
    [
      "{ periodic: 'cron@0 25 * * *' }",
      'workflow "reports" task "collect": periodic: invalid schedule "cron@0 25 * * *": hour field "25": 25 is out of range 0-23',
    ],
    [
      "{ periodic: 'interval@0 0 0 0' }",
      'workflow "reports" task "collect": periodic: invalid schedule "interval@0 0 0 0": the interval must be longer than zero',
    ],
    [
      '{ timeoutMs: 4e12 }',
      'workflow "reports" task "collect": timeoutMs must be an integer from 1 to 3155760000000 (100 years), got 4000000000000',
    ],
    [
      '{ retry: { maxRetries: 1000 } }',
      'workflow "reports" task "collect": retry.maxRetries must be an integer from 0 to 100, got 1000',
    ],
  ] as const) {
    const file = join(dir, 'reports.ts');
    writeFileSync(file, moduleWith(options));
    const result = await server.cli('workflow', 'upload', file);
    assert.equal(result.code, 1, options);
    // The loader points at the line that declared the task.
    assert.match(result.stderr, /^aiflow: INVALID_WORKFLOW: \S*reports\.ts:3:\d+: /, options);
    assert.ok(result.stderr.endsWith(`: ${reason}\n`), result.stderr);
  }
  const list = await server.cli('workflow', 'list', '-o', 'json');
  assert.deepEqual(JSON.parse(list.stdout), [], 'nothing was stored');
  writeFileSync(join(dir, 'reports.ts'), moduleWith("{ periodic: 'cron@0 12 29 2 *', timeoutMs: 60000 }"));
  assert.equal((await server.cli('workflow', 'upload', join(dir, 'reports.ts'))).code, 0, 'valid ones pass');
});
