import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { userModuleNodeFlags } from '../../protocol/module-url.ts';
import { bundleFileName, bundleWorkflowModule } from '../../workflow/bundle.ts';
import { tempDir } from '../helpers.ts';

test('an artifact is named after the module, as an ES module', () => {
  assert.equal(bundleFileName('flow.ts'), 'flow.mjs');
  assert.equal(bundleFileName('/a/b/flow.js'), 'flow.mjs');
  assert.equal(bundleFileName('flow.mjs'), 'flow.mjs');
  assert.equal(bundleFileName('flow'), 'flow.mjs');
});

test('the artifact keeps aiflow-mqtt and built-ins as imports and inlines the rest, with a source map', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'node_modules/tiny'), { recursive: true });
  writeFileSync(join(dir, 'node_modules/tiny/package.json'), '{ "name": "tiny", "main": "index.js" }');
  writeFileSync(join(dir, 'node_modules/tiny/index.js'), 'exports.tinyMark = "tiny-inlined";\n');
  writeFileSync(join(dir, 'helper.ts'), "export const helperMark: string = 'helper-inlined';\n");
  writeFileSync(
    join(dir, 'flow.ts'),
    "import { Workflow } from 'aiflow-mqtt/workflow';\nimport { readFileSync } from 'node:fs';\nimport { tinyMark } from 'tiny';\nimport { helperMark } from './helper.ts';\nexport default [Workflow, readFileSync, tinyMark, helperMark];\n",
  );
  const artifact = await bundleWorkflowModule(join(dir, 'flow.ts'));
  assert.match(artifact, /from "aiflow-mqtt\/workflow"/);
  assert.match(artifact, /from "node:fs"/);
  assert.match(artifact, /tiny-inlined/);
  assert.match(artifact, /helper-inlined/);
  const map = /sourceMappingURL=data:application\/json;base64,(.+)$/m.exec(artifact);
  const { sourceRoot, sources } = JSON.parse(Buffer.from(map![1]!, 'base64').toString()) as {
    sourceRoot: string;
    sources: string[];
  };
  assert.equal(sourceRoot, `file://${dir}/`);
  assert.deepEqual([...sources].sort(), ['flow.ts', 'helper.ts', 'node_modules/tiny/index.js']);
});

test('a bundle error names the file, line and column (from 1) of the first error and counts the others', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'flow.ts'), "import './a.ts';\nimport './b.ts';\n");
  await assert.rejects(bundleWorkflowModule(join(dir, 'flow.ts')), {
    code: 'INVALID_WORKFLOW',
    message: `${join(dir, 'flow.ts')}:1:8: Could not resolve "./a.ts" (and 1 more error)`,
  });
  writeFileSync(join(dir, 'syntax.ts'), 'export const x = ;\n');
  await assert.rejects(bundleWorkflowModule(join(dir, 'syntax.ts')), {
    code: 'INVALID_WORKFLOW',
    message: `${join(dir, 'syntax.ts')}:1:18: Unexpected ";"`,
  });
});

test('a process that loads a user module needs the TypeScript loader only for sources or a TypeScript module', () => {
  const tsx = 'file:///tsx/loader.mjs';
  assert.deepEqual(userModuleNodeFlags('file:///pkg/dist/x.js', '/home/snapshots/1/flow.mjs', tsx), []);
  assert.deepEqual(userModuleNodeFlags('file:///pkg/dist/x.js', '/home/snapshots/1/flow.ts', tsx), [
    '--import',
    tsx,
  ]);
  assert.deepEqual(userModuleNodeFlags('file:///pkg/x.ts', '/home/snapshots/1/flow.mjs', tsx), [
    '--conditions=aiflow-source',
    '--import',
    tsx,
  ]);
});
