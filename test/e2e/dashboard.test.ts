import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CHROMIUM_PATH, launchChromium } from '../chromium.ts';
import { requireProgram, tempDir } from '../helpers.ts';
import { startTestServer } from '../server-harness.ts';
import { HANG_GUARD_MS, run } from '../support.ts';

test('the dashboard starts an execution, follows its tasks and log live, and tails events', async (t) => {
  if (!requireProgram(t, CHROMIUM_PATH, 'apt-get install -y chromium')) return;
  if (!requireProgram(t, 'mosquitto_pub', 'apt-get install -y mosquitto-clients')) return;
  const server = await startTestServer(t, { wsPort: 0 });
  const dir = tempDir(t);
  const gate = join(dir, 'go');
  const file = join(dir, 'dash.ts');
  // Task `a` prints a line, then waits for the test to open the gate: its `running` status is observable.
  writeFileSync(
    file,
    `import { Workflow } from 'aiflow-mqtt/workflow';
const dash = new Workflow('dash');
const a = dash.bash('a', 'echo hello-from-a; while [ ! -e ${gate} ]; do sleep 0.05; done');
const b = dash.bash('b', 'echo b-done');
b.startAfter(a);
export default dash;
`,
  );
  const upload = await server.cli('workflow', 'upload', file);
  assert.equal(upload.code, 0, upload.stderr);
  assert.ok(server.dashboardUrl, 'a server with WebSocket serves the dashboard');

  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await browser.newPage();
  page.setDefaultTimeout(HANG_GUARD_MS);
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto(server.dashboardUrl);

  // Workflows: the uploaded workflow is listed; Start opens its new execution in the same page (no reload).
  const row = page.locator('tr[data-workflow="dash"]');
  await row.getByRole('button', { name: 'Start' }).click();
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
  await page.locator('[data-page="execution"][data-loaded="true"]').waitFor();
  await page.locator('tr[data-task="a"][data-status="running"]').waitFor();
  assert.equal(await page.locator('tr[data-task="b"]').getAttribute('data-status'), 'none');

  // The log of the running task streams in.
  await page.locator('tr[data-task="a"]').getByRole('button', { name: 'Log' }).click();
  await page.locator('pre.log', { hasText: 'hello-from-a' }).waitFor();

  writeFileSync(gate, '');
  await page.locator('tr[data-task="a"][data-status="success"]').waitFor();
  await page.locator('tr[data-task="b"][data-status="success"]').waitFor();
  await page.locator('[data-page="execution"][data-status="success"]').waitFor();
  await page.locator('pre.log[data-done="true"]').waitFor();
  assert.equal(
    await page.evaluate(() => (window as unknown as { marker?: number }).marker),
    1,
    'the statuses changed without a reload',
  );

  // Events: an event published by a plain MQTT client appears in the live tail, with its offset.
  await page.getByRole('link', { name: 'Events' }).click();
  await page.locator('[data-page="events"] [data-following="ns/+/#"]').waitFor();
  const published = await run('mosquitto_pub', [
    ...['-h', '127.0.0.1', '-p', String(server.port), '-q', '1'],
    ...['-t', 'ns/default/dashboard-key', '-m', 'hello-dashboard'],
  ]);
  assert.equal(published.code, 0, published.stderr);
  const tailRow = page
    .getByRole('table', { name: 'event tail' })
    .getByRole('row')
    .filter({ has: page.getByRole('cell', { name: 'hello-dashboard', exact: true }) });
  await tailRow.waitFor();
  const offset = Number(await tailRow.getByRole('cell').first().textContent());
  assert.ok(offset > 0, `the tail shows the event's offset (${offset})`);
  assert.deepEqual(pageErrors, []);
});
