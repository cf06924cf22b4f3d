import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { CHROMIUM_PATH, launchChromium } from '../chromium.ts';
import { requireProgram, tempDir } from '../helpers.ts';
import { startTestServer } from '../server-harness.ts';
import { HANG_GUARD_MS } from '../support.ts';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface AxeResult {
  violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
}

test('every page of the dashboard has no serious accessibility violation, in light and dark', async (t) => {
  if (!requireProgram(t, CHROMIUM_PATH, 'apt-get install -y chromium')) return;
  const server = await startTestServer(t, { wsPort: 0 });
  const file = join(tempDir(t), 'a11y.ts');
  writeFileSync(
    file,
    `import { TaskAction, Workflow } from 'aiflow-mqtt/workflow';
const w = new Workflow('a11y');
const first = w.bash('first', 'echo one');
const second = w.bash('second', 'echo two');
second.startAfter(first);
second.actionOnEventReceived(TaskAction.RESTART, 'again');
export default w;
`,
  );
  assert.equal((await server.cli('workflow', 'upload', file)).code, 0);
  const browser = await launchChromium();
  t.after(() => browser.close());
  // The page's Content-Security-Policy refuses injected scripts: the scanner is injected past it.
  const page = await (await browser.newContext({ bypassCSP: true })).newPage();
  page.setDefaultTimeout(HANG_GUARD_MS);
  await page.goto(server.dashboardUrl!);
  await page.locator('tr[data-workflow="a11y"]').getByRole('button', { name: 'Start' }).click();
  await page.locator('[data-page="execution"][data-status="success"]').waitFor();
  await page.locator('tr[data-task="second"]').getByRole('button', { name: 'Log' }).click();
  await page.locator('pre.log[data-done="true"]').waitFor();
  const execution = page.url();

  const pages: [string, string, string][] = [
    ['execution', execution, '[data-page="execution"][data-loaded="true"]'],
    [
      'workflows',
      `${server.dashboardUrl}#/workflows`,
      '[data-page="workflows"][data-loaded="true"] .strip a',
    ],
    ['workflow', `${server.dashboardUrl}#/workflow/default/a11y`, '[data-page="workflow"] svg.task-graph'],
    ['events', `${server.dashboardUrl}#/events`, '[data-following]'],
  ];
  const serious: string[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [name, url, ready] of pages) {
      await page.goto(url);
      await page.locator(ready).first().waitFor();
      await page.addScriptTag({ path: AXE });
      const result = (await page.evaluate('axe.run(document)')) as AxeResult;
      for (const v of result.violations) {
        if (v.impact === 'serious' || v.impact === 'critical') {
          serious.push(
            `${name} (${scheme}): ${v.id} ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
          );
        }
      }
    }
  }
  assert.deepEqual(serious, []);
});
